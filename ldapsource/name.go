package ldapsource

import (
	"strings"
	"unicode/utf8"

	"github.com/go-ldap/ldap/v3"

	"github.com/claimgate/claimgate/claims"
)

// maxLoginLen caps what is sent to the directory: a UPN is at most 1024
// characters in AD, a sAMAccountName 20.
const maxLoginLen = 1024

// login is a parsed login name: which attribute to match and the value.
type login struct {
	form   LoginForm
	domain string // the DOMAIN of DOMAIN\sam, as typed
	value  string // raw value; escaped only when put into a filter
}

// parseLogin splits what the user typed into a form and a value:
// containing "\" → DOMAIN\sam; containing "@" → UPN; otherwise sam.
// A form that is not enabled, an empty part or a control character is
// an unknown user (the directory is never asked).
func parseLogin(name string, forms func(LoginForm) bool) (login, error) {
	name = strings.TrimSpace(name)
	unknown := func(why string) (login, error) {
		return login{}, claims.Rejected(claims.ReasonUnknownUser, why)
	}
	if name == "" {
		return unknown("empty login name")
	}
	if len(name) > maxLoginLen || !utf8.ValidString(name) {
		return unknown("login name too long or not UTF-8")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return unknown("control character in login name")
		}
	}
	var l login
	switch {
	case strings.Contains(name, `\`):
		dom, sam, _ := strings.Cut(name, `\`)
		l = login{form: FormDomainSAM, domain: dom, value: sam}
		if dom == "" || sam == "" || strings.Contains(sam, `\`) {
			return unknown(`malformed DOMAIN\user`)
		}
	case strings.Contains(name, "@"):
		l = login{form: FormUPN, value: name}
	default:
		l = login{form: FormSAM, value: name}
	}
	if !forms(l.form) {
		return unknown("login form " + string(l.form) + " is not enabled")
	}
	return l, nil
}

// attribute is the LDAP attribute the login value is matched against.
func (l login) attribute() string {
	if l.form == FormUPN {
		return "userPrincipalName"
	}
	return "sAMAccountName"
}

// filter builds the search filter; the user's input only ever enters it
// through ldap.EscapeFilter.
func (l login) filter(userFilter string) string {
	return "(&" + userFilter + "(" + l.attribute() + "=" + ldap.EscapeFilter(l.value) + "))"
}
