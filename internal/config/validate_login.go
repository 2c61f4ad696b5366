package config

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/claimgate/claimgate/claims"
)

// The values of claims.name.
const (
	ClaimNameWindowsAccount = string(claims.NameWindowsAccount) // DOMAIN\user, as AD FS's AD claims provider
	ClaimNameUPN            = string(claims.NameUPN)
)

// reSID is a SID in its string form (MS-DTYP 2.4.2.1): S-1-<authority>
// with up to 15 sub-authorities, no leading zeros.
var reSID = regexp.MustCompile(`^S-1-(0|[1-9][0-9]{0,14}|0x[0-9A-F]{12})(-(0|[1-9][0-9]{0,9})){1,15}$`)

// ClaimMapping is the claims section's value choices as claims applies
// them.
func (c *Config) ClaimMapping() claims.Mapping {
	// SIDs are issued in the canonical upper case AD FS rules compare with.
	sids := make([]string, len(c.Claims.LogonSIDs))
	for i, s := range c.Claims.LogonSIDs {
		sids[i] = strings.ToUpper(s)
	}
	if c.Claims.LogonSIDs == nil {
		sids = nil
	}
	return claims.Mapping{Name: claims.NameSource(c.Claims.Name), LogonSIDs: sids}
}

// validateLogin checks what the sign-in page and the claim values use:
// claims.name, claims.logon_sids and directory.ldap.password_change_url.
func (c *Config) validateLogin(ps *problems) {
	switch c.Claims.Name {
	case "", ClaimNameWindowsAccount, ClaimNameUPN: // "": built in code, the default
	default:
		ps.add("claims.name", "must be windowsaccountname (DOMAIN\\user, as AD FS's Active Directory claims provider issues it) or upn")
	}
	seen := map[string]int{}
	for i, s := range c.Claims.LogonSIDs {
		p := index("claims.logon_sids", i)
		k := strings.ToUpper(s)
		if !reSID.MatchString(k) {
			ps.add(p, "%q is not a SID such as S-1-5-11", s)
		} else if !logonTypeSID(k) {
			ps.add(p, "%s is not a well-known logon SID (Everyone S-1-1-0, S-1-2-*, NT AUTHORITY S-1-5-1 to S-1-5-20, S-1-5-64-*, S-1-5-1000, S-1-18-*): a domain or BUILTIN group here would be given to every user", s)
		} else if j, dup := seen[k]; dup {
			ps.add(p, "repeats claims.logon_sids[%d]", j)
		}
		seen[k] = i
	}
	if l := c.Directory.LDAP; l != nil && l.PasswordChangeURL != "" {
		if msg := checkPasswordChangeURL(l.PasswordChangeURL); msg != "" {
			ps.add("directory.ldap.password_change_url", "%s", msg)
		}
	}
}

// checkPasswordChangeURL returns what is wrong with a password-change
// link, or "". The user follows it with the password in mind, so it must
// be https; a user name or password in it would be shown to everyone.
func checkPasswordChangeURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || !u.IsAbs() || u.Opaque != "":
		return "must be an absolute https URL, e.g. https://adfs.example.com/adfs/portal/updatepassword/"
	case u.Scheme != "https":
		return "must be https: users type their password there"
	case u.Hostname() == "":
		return "must name a host"
	case u.User != nil:
		return "must not carry a user name or password"
	case strings.ContainsAny(s, " \t\r\n\"<>"):
		return "must not contain spaces, quotes or angle brackets"
	}
	return ""
}

// logonTypeSID reports whether sid (upper case) is one of the SIDs Windows
// adds to a logon token for the kind of logon, never a group someone is
// granted: adding a domain (S-1-5-21-…) or BUILTIN (S-1-5-32-…) group to
// every user would hand out its rights.
func logonTypeSID(sid string) bool {
	switch {
	case sid == "S-1-1-0", sid == "S-1-5-1000":
		return true
	case strings.HasPrefix(sid, "S-1-2-"), strings.HasPrefix(sid, "S-1-5-64-"), strings.HasPrefix(sid, "S-1-18-"):
		return true
	}
	if rest, ok := strings.CutPrefix(sid, "S-1-5-"); ok && !strings.Contains(rest, "-") {
		n, err := strconv.Atoi(rest)
		return err == nil && n >= 1 && n <= 20
	}
	return false
}
