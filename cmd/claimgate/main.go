// Command claimgate is a claims provider for Microsoft AD FS: a security
// token service that signs users in with a password and a one-time code and
// answers AD FS with a signed SAML token. Run `claimgate help` for the
// subcommands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/claimgate/claimgate/internal/signer"
)

const version = "0.1.0"

// env is what a subcommand gets from the outside world, so tests can run
// the real command line in-process.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// reload asks `serve` to reload its configuration; nil means SIGHUP.
	reload <-chan os.Signal
}

type command struct {
	name    string
	summary string
	run     func(e *env, args []string) int
}

func commands() []command {
	return []command{
		{"serve", "run the sign-in service from a configuration file", runServe},
		{"demo", "run a self-contained demo with users, keys and a demo relying party", runDemo},
		{"check", "check the configuration and the directory; look up a user's claims", runCheck},
		{"metadata", "print the signed federation metadata AD FS imports", runMetadata},
		{"certs", "make a token-signing certificate (certs new), show one (certs show), check them (certs status)", runCerts},
		{"hash-password", "hash a password for the users file (argon2id)", runHashPassword},
		{"totp", "make a TOTP secret and its otpauth:// URI (totp new)", runTOTP},
		{"users", "manage second factors, app passwords, enrolment codes and lockouts", runUsers},
		{"adfs", "print the PowerShell that registers claimgate in AD FS (adfs script)", runADFS},
		{"explain", "say whether AD FS would accept a captured token, rule by rule", runExplain},
		{"version", "print the version", runVersion},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, `claimgate %s - a two-factor claims provider for Microsoft AD FS

Usage: claimgate <command> [options]

Commands:
`, version)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run "claimgate <command> -h" for a command's options.

Quick start: "claimgate demo" starts a demo on http://127.0.0.1:8080/demo/.
Production: write a configuration file (see docs/configuration.md), then
"claimgate check --config FILE" and "claimgate serve --config FILE".
`)
}

func run(e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stderr)
		return 2
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(e.stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(e, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "claimgate: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return 2
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(&env{ctx: ctx, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:]))
}

func runVersion(e *env, args []string) int {
	fmt.Fprintf(e.stdout, "claimgate %s\n", version)
	// Which signing.signer kinds this binary has: openssl and pkcs11 are
	// compiled in only with their build tags (internal/signer).
	fmt.Fprintf(e.stdout, "signers: %s\n", strings.Join(signer.Built(), ", "))
	return 0
}
