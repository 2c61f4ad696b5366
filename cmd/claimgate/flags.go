package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/claimgate/claimgate/internal/config"
)

// flags is a FlagSet whose -h prints a description, the usage line and the
// options to stdout; errors go to stderr.
type flags struct {
	*flag.FlagSet
	stdout io.Writer
}

func newFlags(e *env, name, usageLine, description string) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: claimgate %s\n\n%s\n", usageLine, strings.TrimSpace(description))
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprint(w, "\nOptions:\n")
			fs.PrintDefaults()
		}
	}
	return &flags{FlagSet: fs, stdout: e.stdout}
}

// parse returns (exit code, done): -h exits 0, a bad flag exits 2.
func (f *flags) parse(args []string) (int, bool) {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			f.SetOutput(f.stdout)
		}
	}
	err := f.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0, true
	case err != nil:
		return 2, true
	}
	return 0, false
}

func fail(e *env, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "claimgate: "+format+"\n", args...)
	return 1
}

// helpOrErr is where a command's own usage goes: stdout when asked for with
// -h, stderr when the command line was wrong.
func helpOrErr(e *env, args []string) io.Writer {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		return e.stdout
	}
	return e.stderr
}

// loadConfig loads and validates the configuration a command was given.
// On failure it has printed every problem and returns the exit code.
func loadConfig(e *env, command, path string) (*config.Config, int) {
	if path == "" {
		return nil, fail(e, "%s: --config FILE is required (see docs/configuration.md)", command)
	}
	cfg, err := config.Load(path, e.getenv)
	if err != nil {
		return nil, fail(e, "%v", err)
	}
	return cfg, 0
}
