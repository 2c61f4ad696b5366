package ldapsource

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// LockoutPolicy is the domain's own account lockout policy, as Active
// Directory keeps it on the domain's naming context head (the default
// domain policy writes it there). claimgate's throttle lets some wrong
// passwords through to the directory; when the directory locks the
// account after fewer, a spray through claimgate locks the real accounts
// in AD before claimgate's own lock stops it.
type LockoutPolicy struct {
	Domain string // the naming context read, e.g. DC=example,DC=test
	// Threshold is lockoutThreshold: wrong passwords within Window after
	// which AD locks the account; 0 means AD never locks.
	Threshold int
	Window    time.Duration // lockOutObservationWindow
	Duration  time.Duration // lockoutDuration (0: until an administrator unlocks)
}

// LockoutPolicy reads the lockout policy of the domain that holds BaseDN
// (its DC= suffix, or the DC's default naming context when BaseDN has
// none). Callers use it best effort: a directory that does not answer it
// (no AD, no read right) is an error, not a reason to refuse to start.
// Fine-grained password policies (msDS-PasswordSettings) may give some
// users a different threshold; they are not read.
func (d *Directory) LockoutPolicy(ctx context.Context) (LockoutPolicy, error) {
	domain := dcSuffix(d.cfg.BaseDN)
	if domain == "" {
		root, err := d.search(ctx, ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases,
			1, d.timeLimit(), false, "(objectClass=*)", []string{"defaultNamingContext"}, nil))
		if err != nil || len(root.Entries) != 1 {
			return LockoutPolicy{}, fmt.Errorf("ldapsource: lockout policy: read rootDSE: %w", err)
		}
		domain = root.Entries[0].GetAttributeValue("defaultNamingContext")
	}
	res, err := d.search(ctx, ldap.NewSearchRequest(domain, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		1, d.timeLimit(), false, "(objectClass=*)",
		[]string{"lockoutThreshold", "lockOutObservationWindow", "lockoutDuration"}, nil))
	if err != nil {
		return LockoutPolicy{}, fmt.Errorf("ldapsource: lockout policy of %s: %w", domain, err)
	}
	if len(res.Entries) != 1 {
		return LockoutPolicy{}, fmt.Errorf("ldapsource: lockout policy of %s: %d entries", domain, len(res.Entries))
	}
	return parseLockoutPolicy(domain, res.Entries[0])
}

func parseLockoutPolicy(domain string, e *ldap.Entry) (LockoutPolicy, error) {
	p := LockoutPolicy{Domain: domain}
	v := e.GetAttributeValue("lockoutThreshold")
	if v == "" {
		return p, fmt.Errorf("ldapsource: lockout policy of %s: no lockoutThreshold (not an AD domain head, or not readable)", domain)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return p, fmt.Errorf("ldapsource: lockout policy of %s: lockoutThreshold %q", domain, v)
	}
	p.Threshold = n
	p.Window = adInterval(e.GetAttributeValue("lockOutObservationWindow"))
	p.Duration = adInterval(e.GetAttributeValue("lockoutDuration"))
	return p, nil
}

// adInterval reads an AD time interval: a count of 100 ns units, stored
// negative (a relative time); the most negative value means "for ever",
// which is returned as 0, as is anything unreadable.
func adInterval(s string) time.Duration {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n == -1<<63 {
		return 0
	}
	if n < 0 {
		n = -n
	}
	if n > int64(1<<63-1)/100 {
		return 0
	}
	return time.Duration(n * 100)
}

// LockoutWarning says what is wrong when claimgate's limit of wrong
// passwords per user from unfamiliar addresses (lockout.
// unfamiliar_max_passwords per lockout.window) would let AD lock the
// account first, or "" when it would not. AD counts over its own
// observation window, which may span several of claimgate's: so many
// windows' worth reach it. The account's badPwdCount also counts wrong
// passwords from everywhere else (workstations, mail clients), so the
// limit must stay below the threshold, not reach it.
func (p LockoutPolicy) LockoutWarning(unfamiliarMax int, window time.Duration) string {
	if p.Threshold == 0 || unfamiliarMax <= 0 {
		return ""
	}
	windows := 1
	if window > 0 && p.Window > window {
		windows = int((p.Window + window - 1) / window)
	}
	through := unfamiliarMax * windows
	if through < p.Threshold {
		return ""
	}
	per := ""
	if windows > 1 {
		per = fmt.Sprintf(" (%d per lockout.window of %v, and AD's observation window of %v spans %d of them)", unfamiliarMax, window, p.Window, windows)
	}
	return fmt.Sprintf("the domain %s locks an account after %d wrong passwords (lockoutThreshold), but claimgate lets up to %d through per user from unfamiliar addresses%s: "+
		"a password spray through claimgate would lock the attacked accounts in Active Directory before claimgate stops it; "+
		"set lockout.unfamiliar_max_passwords to at most %d (below the threshold, with room for wrong passwords typed elsewhere)",
		p.Domain, p.Threshold, through, per, max(1, (p.Threshold-1)/windows-1))
}
