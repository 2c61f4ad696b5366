package login

import (
	"strings"

	"github.com/claimgate/claimgate/claims"
)

// LoginPage is what the sign-in page says beyond its form.
type LoginPage struct {
	// Hint describes the user names the directory accepts; the zero Hint
	// shows no examples.
	Hint Hint
	// PasswordChangeURL (https) is linked when the password was right but
	// must be changed or has expired; empty points the user to a computer
	// of the organisation or the help desk instead.
	PasswordChangeURL string
}

// Hint is the forms of user name the directory accepts, as the sign-in
// page's examples show them: for AD from directory.ldap (login_forms,
// upn_suffixes, netbios_domain), for a users file from the file (its
// domain, its users' UPN suffixes).
type Hint struct {
	// UPNSuffix, when set, shows a UPN example: alice@UPNSuffix.
	UPNSuffix string
	// Domain, when set, shows a down-level example: Domain\alice.
	Domain string
	// Plain shows the bare user name: alice.
	Plain bool
}

// examples writes the hint's forms out with user as the example name
// (message login.hint_user), joined as "a, b or c" with or (message
// login.hint_or). The order is the one AD FS users know best first.
func (h Hint) examples(user, or string) string {
	var forms []string
	if h.UPNSuffix != "" {
		forms = append(forms, user+"@"+strings.TrimPrefix(h.UPNSuffix, "@"))
	}
	if h.Domain != "" {
		forms = append(forms, h.Domain+`\`+user)
	}
	if h.Plain {
		forms = append(forms, user)
	}
	switch len(forms) {
	case 0:
		return ""
	case 1:
		return forms[0]
	}
	return strings.Join(forms[:len(forms)-1], ", ") + " " + or + " " + forms[len(forms)-1]
}

// passwordChangeKey returns the sign-in page's message for a rejection
// reason. Only the two reasons a directory returns after it verified the
// password (claims.Reason.NeedsPasswordChange) get their own message.
// Everything that can be learnt without the password keeps the generic
// one, so the page never tells a guesser which names exist or what state
// an account is in:
//
//   - unknown_user, ambiguous_user, bad_password: the password was not
//     (or could not be) checked, or was wrong.
//   - account_disabled, account_locked, account_expired: ldapsource
//     refuses these from the account's attributes before the bind,
//     whatever the password (AD itself would answer 533 and 701 only to
//     a correct password, but 775 to any), and the users file checks its
//     disabled flag after the password but is no AD.
//   - not_permitted (530/531, logon hours and workstation): AD answers
//     these only to a correct password too, but the page has nothing
//     useful to say about them.
//   - policy: claimgate's own refusal.
func passwordChangeKey(r claims.Reason) string {
	switch r {
	case claims.ReasonMustChange:
		return "error.password_must_change"
	case claims.ReasonPasswordExpired:
		return "error.password_expired"
	}
	return "error.credentials"
}
