package config

import (
	"net/url"
	"regexp"
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
	return claims.Mapping{Name: claims.NameSource(c.Claims.Name), LogonSIDs: c.Claims.LogonSIDs}
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
