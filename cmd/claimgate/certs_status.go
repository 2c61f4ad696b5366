package main

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/claimgate/claimgate/certs"
)

// certEntry is one configured token-signing certificate.
type certEntry struct {
	path string // its configuration key, e.g. signing.keys[1]
	cert *x509.Certificate
	role certs.Role
}

func runCertsStatus(e *env, args []string, now func() time.Time) int {
	fs := newFlags(e, "certs status", "certs status --config FILE", `
Lists the token-signing certificates of the configuration: which one signs
(signing.keys[0]), which are only published in the metadata (the other
keys, signing.extra_published_certs), their SHA-1 thumbprint (the one AD FS
shows in Get-AdfsClaimsProviderTrust) and SHA-256 thumbprint, validity and
days left, with a WARNING from 30 days before expiry, and the next step of
the rollover runbook (docs/operations.md) where it is clear.

It reads the file, not the running service: after changing it, reload
(systemctl reload claimgate) for the service to follow.

Exit status: 0 when the signing certificate is valid for more than 30
days; 1 when it expires within 30 days, has expired or is not valid yet, or
when the configuration or a key cannot be read; 2 for a wrong command line.
Run it daily from cron or a timer to be told in time.`)
	cfgPath := fs.String("config", "", "the YAML configuration file (required)")
	if code, done := fs.parse(args); done {
		return code
	}
	cfg, code := loadConfig(e, "certs status", *cfgPath)
	if cfg == nil {
		return code
	}
	set, err := cfg.LoadSigning()
	if err != nil {
		return fail(e, "%v", err)
	}
	var entries []certEntry
	seen := func(c *x509.Certificate) bool {
		for _, x := range entries {
			if bytes.Equal(x.cert.Raw, c.Raw) {
				return true
			}
		}
		return false
	}
	for i, kp := range set.Keys {
		if !seen(kp.Certificate) {
			entries = append(entries, certEntry{path: fmt.Sprintf("signing.keys[%d]", i), cert: kp.Certificate, role: set.RoleOf(kp.Certificate)})
		}
	}
	for i, f := range cfg.Signing.ExtraPublishedCerts {
		c, err := certs.LoadCertificate(f)
		if err != nil {
			return fail(e, "signing.extra_published_certs[%d]: %v", i, err)
		}
		if !seen(c) {
			entries = append(entries, certEntry{path: fmt.Sprintf("signing.extra_published_certs[%d]", i), cert: c, role: set.RoleOf(c)})
		}
	}
	t := now()
	w := e.stdout
	fmt.Fprintf(w, "Token-signing certificates in %s, at %s:\n", *cfgPath, t.UTC().Format("2006-01-02 15:04 UTC"))
	signing := set.Signing.Certificate
	for _, x := range entries {
		state, days := certs.CheckExpiry(x.cert, t)
		fmt.Fprintf(w, "\n%s: %s\n", x.path, roleLabel(x.role))
		fmt.Fprintf(w, "  subject:            %s\n", x.cert.Subject.String())
		fmt.Fprintf(w, "  SHA-1 thumbprint:   %s\n", certs.ThumbprintSHA1(x.cert))
		fmt.Fprintf(w, "  SHA-256 thumbprint: %s\n", certs.ThumbprintSHA256(x.cert))
		fmt.Fprintf(w, "  valid from:         %s\n", x.cert.NotBefore.UTC().Format("2006-01-02 15:04 UTC"))
		fmt.Fprintf(w, "  valid until:        %s (%s)\n", x.cert.NotAfter.UTC().Format("2006-01-02 15:04 UTC"), daysLeft(state, days))
		fmt.Fprintf(w, "  status:             %s\n", statusText(state, days, x.cert))
		if step := nextStep(x, state, signing, entries); step != "" {
			fmt.Fprintf(w, "  next step:          %s\n", step)
		}
	}
	state, days := certs.CheckExpiry(signing, t)
	fmt.Fprintf(w, "\n%d certificate(s) published, signing with %s (%s).\n", len(set.Published), certs.ThumbprintSHA1(signing), signing.Subject.CommonName)
	if state != certs.Valid {
		fmt.Fprintf(w, "Attention (exit status 1): the signing certificate %s.\n", attention(state, days, signing))
		return 1
	}
	return 0
}

func roleLabel(r certs.Role) string {
	if r == certs.Signs {
		return "signs tokens and metadata"
	}
	return r.String()
}

func attention(state certs.Expiry, days int, c *x509.Certificate) string {
	switch state {
	case certs.ExpiresSoon:
		return fmt.Sprintf("expires in %d days, on %s", days, c.NotAfter.UTC().Format(time.DateOnly))
	case certs.Expired:
		return "expired on " + c.NotAfter.UTC().Format(time.DateOnly)
	}
	return "is not valid before " + c.NotBefore.UTC().Format(time.RFC3339)
}

func daysLeft(state certs.Expiry, days int) string {
	switch {
	case state == certs.Expired && days == 0:
		return "expired today"
	case state == certs.Expired:
		return fmt.Sprintf("expired %d days ago", -days)
	case days == 1:
		return "1 day left"
	}
	return fmt.Sprintf("%d days left", days)
}

func statusText(state certs.Expiry, days int, c *x509.Certificate) string {
	switch state {
	case certs.ExpiresSoon:
		return fmt.Sprintf("WARNING: expires in %d days, on %s", days, c.NotAfter.UTC().Format(time.DateOnly))
	case certs.Expired:
		return "EXPIRED on " + c.NotAfter.UTC().Format(time.DateOnly)
	case certs.NotYetValid:
		return "NOT YET VALID: valid from " + c.NotBefore.UTC().Format(time.RFC3339)
	}
	return "OK"
}

// nextStep is the runbook step for x, when the configuration makes it
// clear: a newer certificate waits to be promoted, an older one to be
// retired, an expiring signing certificate without a successor needs one.
func nextStep(x certEntry, state certs.Expiry, signing *x509.Certificate, all []certEntry) string {
	const trust = "(Get-AdfsClaimsProviderTrust).TokenSigningCertificates"
	newer := x.cert.NotAfter.After(signing.NotAfter)
	switch {
	case x.role == certs.Signs && state != certs.Valid:
		for _, o := range all {
			if o.role == certs.PublishedWithKey && o.cert.NotAfter.After(signing.NotAfter) {
				return "its successor " + o.path + " is published: promote it once AD FS lists it (see below)"
			}
		}
		return "start the rollover now: make a new certificate (claimgate certs new), add it as signing.keys[1] and reload"
	case x.role == certs.Signs:
		return ""
	case state == certs.Expired:
		return "expired: remove it from " + pathList(x.path) + " and reload"
	case x.role == certs.PublishedWithKey && newer && state == certs.NotYetValid:
		return "do not promote it before it is valid; then as below: once AD FS lists it, promote it"
	case x.role == certs.PublishedWithKey && newer:
		return "once AD FS lists " + certs.ThumbprintSHA1(x.cert) + " in " + trust + ", promote it: make it signing.keys[0] (the current signing key second) and reload"
	case x.role == certs.PublishedOnly && newer:
		return "claimgate holds no key for it, so it cannot sign: to promote it, configure it with its key as signing.keys[0] and reload"
	default:
		return "older than the signing certificate: retire it (remove it from " + pathList(x.path) + " and reload) once every instance signs with signing.keys[0] and token.lifetime has passed; then update the AD FS trust (Update-AdfsClaimsProviderTrust)"
	}
}

// pathList is the list a configuration path is an item of.
func pathList(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '[' {
			return p[:i]
		}
	}
	return p
}
