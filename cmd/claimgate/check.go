package main

import (
	"fmt"
	"io"
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
	fmt.Fprintln(e.stdout, "claims issued after password and code:")
	if printClaims(e.stdout, id, cfg.Claims.Issue) > 0 {
		status = 1
	}
	return status
}

// printClaims prints the claims id would get and returns how many values
// no token can carry. Such a value (U+FFFE, a control character, ...)
// comes from the directory; the sign-in would fail at issuance, so the
// administrator is told here which claim holds it and which character it
// is. A bad value is printed quoted, so the character is visible and
// cannot act on the terminal.
func printClaims(w io.Writer, id claims.Identity, types []string) int {
	list := append([]claims.Claim{{Type: claims.NameIdentifier, Values: []string{claims.NameID(id)}}},
		claims.Issue(id, claims.Facts{SecondFactor: true, AuthnInstant: time.Now()}, types)...)
	bad := 0
	for _, c := range list {
		shown := make([]string, len(c.Values))
		var problems []string
		for i, v := range c.Values {
			shown[i] = v
			if err := claims.CheckXMLText(v); err != nil {
				shown[i] = fmt.Sprintf("%q", v)
				problems = append(problems, fmt.Sprintf("value %d: %v", i+1, err))
			}
		}
		fmt.Fprintf(w, "  %s = %s\n", c.Type, strings.Join(shown, ", "))
		for _, p := range problems {
			fmt.Fprintf(w, "    CANNOT BE SENT: %s; XML cannot carry it, so this user's sign-in fails until the directory value is corrected\n", p)
		}
		bad += len(problems)
	}
	return bad
}
