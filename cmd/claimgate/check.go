package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/app"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/ldapsource"
)

func runCheck(e *env, args []string) int {
	fs := newFlags(e, "check", "check --config FILE [--user NAME]", `
Checks a configuration without starting the service: the file itself (every
problem is listed with its path), the signing keys, the signer (opened, made
to sign a test digest that must verify with the signing certificate, and
closed: with signing.signer pkcs11 that costs one login to the HSM token),
and the directory. For
Active Directory it connects to every configured server, binds as the
service account and reports per server what worked and how long it took,
then reads what sign-in needs (the base DN, the user filter, objectSid,
userPrincipalName, tokenGroups). It also loads the pages (branding), opens
the store (the encryption key must be the database's) and reads and
verifies the metadata of every relying party and SAML SP configured from
it, once. Each problem found names the key to fix.

With --user it also looks the user up (no password needed), says whether
the account can sign in (disabled, locked, expired, password must be
changed or expired, with what the help desk can do) and prints the claims
claimgate would issue for them. Exit status 1 means something failed, 0
that nothing did: warnings (a certificate expiring soon, a lockout limit
that AD would reach first) do not change it, so read the output.`)
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
	for _, w := range cfg.ExposedFiles() {
		fmt.Fprintln(e.stdout, plain("  warning: "+w))
	}
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
		if err := checkSigner(e, cfg, keys); err != nil {
			fmt.Fprintln(e.stdout, plain("signer: FAILED: "+errText(err)))
			status = 1
		}
	}
	results := []app.CheckResult{app.CheckPages(cfg), app.CheckStore(e.ctx, cfg)}
	if r, ok := app.CheckAuditLog(cfg); ok {
		results = append(results, r)
	}
	results = append(results, app.CheckParties(e.ctx, cfg)...)
	for _, r := range results {
		state := r.Detail
		if !r.OK {
			state = "FAILED: " + errText(errors.New(r.Detail))
			status = 1
		}
		fmt.Fprintln(e.stdout, plain(r.Part+": "+state))
	}
	log := newLogger(e, config.Logging{Level: "error", Format: "text"})
	dir, _, closeDir, err := app.Directory(cfg, log)
	if err != nil {
		fmt.Fprintf(e.stdout, "directory: FAILED: %v\n", err)
		return 1
	}
	defer closeDir()
	ld, isLDAP := dir.(*ldapsource.Directory)
	usable := true // a directory answered: the user lookup may go on
	if isLDAP {
		var ok bool
		if ok, usable = checkLDAP(e, cfg.Directory.LDAP.BaseDN, ld); !ok {
			status = 1
		}
		if usable {
			checkADLockout(e, cfg, ld)
		}
	} else {
		fmt.Fprintf(e.stdout, "directory: users file %s loaded\n", plain(cfg.Directory.UsersFile.Path))
	}
	if *user == "" {
		return status
	}
	name := plain(*user)
	if !usable {
		fmt.Fprintf(e.stdout, "user %s: not looked up, the directory checks above failed\n", name)
		return 1
	}
	start := time.Now()
	var id claims.Identity
	if isLDAP {
		r, err := ld.CheckUser(e.ctx, *user)
		if err != nil {
			fmt.Fprintln(e.stdout, plain(fmt.Sprintf("user %s: lookup FAILED: %s", *user, errText(err))))
			return 1
		}
		if r.Refusal != nil {
			printRefusal(e.stdout, name, r.Refusal, r.Why, r.HelpDesk)
			return 1
		}
		id = r.Identity
	} else {
		var err error
		if id, err = dir.Lookup(e.ctx, *user); err != nil {
			var rej *claims.RejectedError
			if errors.As(err, &rej) {
				why, fix := "no such user in the users file", "check the spelling, or add the user to the users file"
				if rej.Reason == claims.ReasonDisabled {
					why, fix = "the user is disabled in the users file", "if the user should have access, remove disabled: true from their entry"
				}
				printRefusal(e.stdout, name, rej, why, fix)
			} else {
				fmt.Fprintln(e.stdout, plain(fmt.Sprintf("user %s: lookup FAILED: %s", *user, errText(err))))
			}
			return 1
		}
	}
	fmt.Fprintf(e.stdout, "user %s found in %s: %s\n", name, time.Since(start).Round(time.Millisecond), plain(id.WindowsAccountName()))
	fmt.Fprintln(e.stdout, "claims issued after password and code:")
	if printClaims(e.stdout, id, cfg.Claims.Issue) > 0 {
		status = 1
	}
	return status
}

// printRefusal says why a user cannot sign in and what the help desk can
// do; the reason and detail are what the sign-in log records.
func printRefusal(w io.Writer, name string, rej *claims.RejectedError, why, helpDesk string) {
	logged := string(rej.Reason)
	if rej.Detail != "" {
		logged += " (" + rej.Detail + ")"
	}
	fmt.Fprintln(w, plain(fmt.Sprintf("user %s: CANNOT SIGN IN: %s; sign-in logs %s", name, why, logged)))
	fmt.Fprintln(w, plain("  help desk: "+helpDesk))
}

// ldapKeys are the configuration paths of the ldapsource.Config fields a
// finding names.
var ldapKeys = map[string]string{
	"BindDN": "bind_dn", "BindPassword": "bind_password", "BaseDN": "base_dn", "UserFilter": "user_filter",
	"CAFile": "ca_file", "URLs": "urls", "StartTLS": "start_tls", "Attributes": "attributes",
	"PhoneAttribute": "phone_attribute", "NetBIOSDomain": "netbios_domain",
}

// printFinding prints "  check KEY and KEY: what is wrong and what to do".
func printFinding(w io.Writer, f *ldapsource.Finding) {
	if f == nil {
		return
	}
	keys := make([]string, len(f.Fields))
	for i, field := range f.Fields {
		name, index, _ := strings.Cut(field, "[")
		if k, ok := ldapKeys[name]; ok {
			name = k
		}
		if index != "" {
			name += "[" + index
		}
		keys[i] = "directory.ldap." + name
	}
	prefix := "  check "
	if f.Warning {
		prefix = "  warning, check "
	}
	fmt.Fprintln(w, plain(prefix+strings.Join(keys, " and ")+": "+f.Text))
}

// errText is err on one line (errors.Join puts each error on its own).
func errText(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

// plain makes text from the configuration or the directory safe to print
// as it is (EXAMPLE\alice stays EXAMPLE\alice): control, format and other
// non-printing characters and invalid UTF-8 are shown as \u escapes, so
// nothing can act on the terminal or hide.
func plain(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == ' ' || strconv.IsPrint(r):
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, `\u%04X`, r)
		}
	}
	return b.String()
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

// checkLDAP checks every domain controller and, on one that accepted the
// service account, the reads sign-in needs. ok is false when anything
// failed; usable is false when users cannot be looked up at all.
func checkLDAP(e *env, baseDN string, ld *ldapsource.Directory) (ok, usable bool) {
	ok = true
	for _, r := range ld.Check(e.ctx) {
		state := "ok"
		switch {
		case !r.Connected:
			state, ok = "CANNOT CONNECT", false
		case !r.Bound:
			state, ok = "CONNECTED, SERVICE BIND FAILED", false
		default:
			usable = true
		}
		line := fmt.Sprintf("directory server %s: %s (%s)", r.URL, state, r.Duration.Round(time.Millisecond))
		if r.Err != nil {
			line += ": " + errText(r.Err)
		}
		fmt.Fprintln(e.stdout, plain(line))
		printFinding(e.stdout, r.Finding)
	}
	if !usable {
		fmt.Fprintln(e.stdout, "directory search: not run, no domain controller accepted the service account")
		return false, false
	}
	r := ld.CheckSearch(e.ctx)
	if r.OK() {
		fmt.Fprintln(e.stdout, plain(fmt.Sprintf("directory search: ok, base %s exists, the user filter finds users, "+
			"objectSid, sAMAccountName, userPrincipalName and %d tokenGroups readable on %s", baseDN, r.Groups, r.Sample)))
	} else {
		ok, usable = false, false
		line := "directory search: FAILED, sign-in cannot read what it needs"
		if r.Err != nil {
			line += ": " + errText(r.Err)
		}
		fmt.Fprintln(e.stdout, plain(line))
	}
	for _, f := range r.Findings {
		printFinding(e.stdout, &f)
	}
	return ok, usable
}
