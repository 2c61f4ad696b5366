package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/app"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/ldapsource"
)

func runCheck(e *env, args []string) int {
	fs := newFlags(e, "check", "check --config FILE [--user NAME]", `
Checks a configuration without starting the service: the file itself (every
problem is listed with its path), the signing keys, and the directory. For
Active Directory it connects to every configured server, binds as the
service account and reports per server what worked and how long it took.

With --user it also looks the user up (no password needed) and prints the
claims claimgate would issue for them. Exit status 0 means all is well.`)
	cfgPath := fs.String("config", "", "the YAML configuration file (required)")
	user := fs.String("user", "", "look up this user (alice, EXAMPLE\\alice or alice@example.com)")
	if code, done := fs.parse(args); done {
		return code
	}
	cfg, code := loadConfig(e, "check", *cfgPath)
	if cfg == nil {
		return code
	}
	if ps := cfg.CheckFiles(); len(ps) > 0 {
		return fail(e, "%v", &config.ValidationError{File: *cfgPath, Problems: ps})
	}
	fmt.Fprintf(e.stdout, "configuration: ok (%s)\n", *cfgPath)
	status := 0
	keys, err := cfg.LoadSigning()
	if err != nil {
		fmt.Fprintf(e.stdout, "signing keys: FAILED: %v\n", err)
		status = 1
	} else {
		fmt.Fprintf(e.stdout, "signing keys: ok, %d published, signing with %s\n", len(keys.Published), keys.Signing.Certificate.Subject)
		for _, w := range keys.Warnings(time.Now()) {
			fmt.Fprintf(e.stdout, "  warning: %s\n", w)
		}
	}
	log := newLogger(e, config.Logging{Level: "error", Format: "text"})
	dir, _, closeDir, err := app.Directory(cfg, log)
	if err != nil {
		fmt.Fprintf(e.stdout, "directory: FAILED: %v\n", err)
		return 1
	}
	defer closeDir()
	if ld, ok := dir.(*ldapsource.Directory); ok {
		for _, r := range ld.Check(e.ctx) {
			state := "ok"
			switch {
			case !r.Connected:
				state, status = "CANNOT CONNECT", 1
			case !r.Bound:
				state, status = "CONNECTED, SERVICE BIND FAILED", 1
			}
			fmt.Fprintf(e.stdout, "directory server %s: %s (%s)", r.URL, state, r.Duration.Round(time.Millisecond))
			if r.Err != nil {
				fmt.Fprintf(e.stdout, ": %v", r.Err)
			}
			fmt.Fprintln(e.stdout)
		}
	} else {
		fmt.Fprintf(e.stdout, "directory: users file %s loaded\n", cfg.Directory.UsersFile.Path)
	}
	if *user == "" {
		return status
	}
	start := time.Now()
	id, err := dir.Lookup(e.ctx, *user)
	if err != nil {
		if reason, ok := claims.IsRejected(err); ok {
			fmt.Fprintf(e.stdout, "user %q: not found or not usable (%s)\n", *user, reason)
		} else {
			fmt.Fprintf(e.stdout, "user %q: lookup FAILED: %v\n", *user, err)
		}
		return 1
	}
	fmt.Fprintf(e.stdout, "user %q found in %s: %s\n", *user, time.Since(start).Round(time.Millisecond), id.WindowsAccountName())
	fmt.Fprintf(e.stdout, "claims issued after password and code:\n  %s = %s\n", claims.NameIdentifier, claims.NameID(id))
	for _, c := range claims.Issue(id, claims.Facts{SecondFactor: true, AuthnInstant: time.Now()}, cfg.Claims.Issue) {
		fmt.Fprintf(e.stdout, "  %s = %s\n", c.Type, strings.Join(c.Values, ", "))
	}
	return status
}
