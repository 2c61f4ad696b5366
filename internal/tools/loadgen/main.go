package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"
)

// options are the command line; short is what `-short` and the Go test run.
type options struct {
	short        bool
	users        []int
	duration     time.Duration
	open         bool
	rate         float64
	openDuration time.Duration
	spray        time.Duration
	sprayLegit   int
	sprayVictims int
	sprayWorkers int
	pool         int
	otp          string
	ambient      string // CLAIMGATE_SAMBA_ENV
	jsonPath     string
	keep         bool
	src          string // module to build claimgate from
	budgets      budgets
	sharedAddr   bool   // legitimate users all from legitAddr
	signer       string // signing.signer: go (default) or openssl (built with -tags openssl)
}

func parseOptions(args []string, env func(string) string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{ambient: env("CLAIMGATE_SAMBA_ENV")}
	fs.BoolVar(&o.short, "short", false, "a run of well under a minute with few users (the Go test runs it)")
	users := fs.String("users", "1,8,32", "closed-loop phases: concurrent virtual users, comma separated")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "length of each closed-loop phase (claimgate and the directory each)")
	fs.BoolVar(&o.open, "open", true, "also run an open-loop phase")
	fs.Float64Var(&o.rate, "rate", 0, "open-loop arrival rate (sign-ins/s); 0 = half the capacity measured at the largest -users")
	fs.DurationVar(&o.openDuration, "open-duration", 20*time.Second, "length of the open-loop phase")
	fs.DurationVar(&o.spray, "spray", 30*time.Second, "length of each password-spray phase (one address, many addresses); 0 = none")
	fs.IntVar(&o.sprayLegit, "spray-users", 8, "legitimate closed-loop users during the spray")
	fs.IntVar(&o.sprayVictims, "spray-victims", 50, "attacked accounts (spray0001…, created in the DC)")
	fs.IntVar(&o.sprayWorkers, "spray-workers", 64, "attacker goroutines (as fast as they can)")
	fs.IntVar(&o.pool, "pool", 0, "enrolled users load0001… (0: 2×max users for hotp, enough for the run for totp)")
	fs.StringVar(&o.otp, "otp", "hotp", "second factor: hotp (no per-step limit) or totp (one sign-in per user per 30 s)")
	// The budgets of issue 12 (point 7): a run that breaks one fails.
	fs.Float64Var(&o.budgets.IdleRSSMB, "budget-idle-mb", 60, "budget: claimgate's RSS when ready and idle, MB")
	fs.Float64Var(&o.budgets.LoadRSSMB, "budget-load-mb", 200, "budget: claimgate's peak RSS under load, MB")
	fs.Float64Var(&o.budgets.SprayRSSMB, "budget-spray-mb", 200, "budget: claimgate's peak RSS during the spray, MB")
	fs.Float64Var(&o.budgets.FloodDBMB, "budget-flood-db-mb", 40, "budget: growth of claimgate's database during the sign-in request flood, MiB (its per-client budget of new sessions is 16)")
	ready := fs.Duration("budget-ready", 300*time.Millisecond, "budget: from the process start to the first 200 of /readyz")
	fs.StringVar(&o.jsonPath, "json", "", "also write the report as JSON to this file")
	fs.StringVar(&o.src, "src", ".", "directory of the claimgate module to build the measured binary from (e.g. an export of a commit)")
	fs.BoolVar(&o.sharedAddr, "shared-addr", false, "legitimate users all connect from 127.0.0.1 (one NAT) instead of each from its own address")
	fs.StringVar(&o.signer, "signer", "go", "signing.signer of the measured claimgate: go (the default build) or openssl (built with -tags openssl; needs libssl-dev)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (configuration, logs, database)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if o.signer != "go" && o.signer != "openssl" {
		return nil, fmt.Errorf("-signer %q: want go or openssl", o.signer)
	}
	if o.short {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		def := func(name string, apply func()) {
			if !set[name] {
				apply()
			}
		}
		def("users", func() { *users = "1,4" })
		def("duration", func() { o.duration = 3 * time.Second })
		def("open-duration", func() { o.openDuration = 3 * time.Second })
		def("spray", func() { o.spray = 3 * time.Second })
		def("spray-users", func() { o.sprayLegit = 2 })
		def("spray-victims", func() { o.sprayVictims = 10 })
		def("spray-workers", func() { o.sprayWorkers = 16 })
	}
	o.budgets.ReadyMS = ms(*ready)
	if o.otp != "hotp" && o.otp != "totp" {
		return nil, fmt.Errorf("-otp %q: want hotp or totp", o.otp)
	}
	for _, f := range strings.Split(*users, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-users %q: want positive integers", *users)
		}
		o.users = append(o.users, n)
	}
	if o.pool == 0 {
		o.pool = defaultPool(o)
	}
	return o, nil
}

// defaultPool sizes the enrolled users. HOTP needs only one user per
// worker (twice that, so a worker never waits for a free one). TOTP lets
// a user sign in once per 30 s step, so the pool must cover a step's
// sign-ins: a guess of 60/s, reported as user_waits when too small.
func defaultPool(o *options) int {
	most := o.sprayLegit
	for _, n := range o.users {
		most = max(most, n)
	}
	if o.otp == "hotp" {
		return 2 * most
	}
	if o.short {
		return 400
	}
	return 1800
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	o, err := parseOptions(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	rep, err := run(ctx, o, os.Stdout, rand.Reader)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	if o.jsonPath != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.jsonPath, b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(1)
		}
	}
	if fails := rep.failures(); len(fails) > 0 {
		for _, f := range fails {
			fmt.Fprintln(os.Stderr, "loadgen: FAIL:", f)
		}
		os.Exit(1)
	}
}
