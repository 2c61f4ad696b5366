package ldapsource

import (
	"context"
	"errors"

	"github.com/claimgate/claimgate/claims"
)

// UserReport is what CheckUser found out about one login name.
type UserReport struct {
	// Identity is what a token would be built from; set when Refusal is nil.
	Identity claims.Identity
	// Refusal is why this account cannot sign in whatever the password,
	// nil if it can.
	Refusal *claims.RejectedError
	// Why and HelpDesk explain Refusal: what is wrong with the account
	// and what the help desk should do about it.
	Why, HelpDesk string
}

// CheckUser answers the help desk's "why can't I sign in?" without the
// password. It makes the decisions sign-in makes, with the same code:
// the user search and accountState (disabled, locked, account expired),
// then passwordState (must change, password expired), which sign-in
// learns from AD's answer to the bind. The returned error is an
// infrastructure failure; a refusal is in the report.
func (d *Directory) CheckUser(ctx context.Context, username string) (UserReport, error) {
	e, facts, err := d.find(ctx, username)
	if err == nil {
		err = passwordState(facts)
	}
	var rej *claims.RejectedError
	if errors.As(err, &rej) {
		r := UserReport{Refusal: rej}
		r.Why, r.HelpDesk = accountAdvice(rej.Reason)
		return r, nil
	}
	if err != nil {
		return UserReport{}, err
	}
	id, err := d.identity(ctx, e)
	if err != nil {
		return UserReport{}, err
	}
	return UserReport{Identity: id}, nil
}

// accountAdvice puts a refusal reason in the help desk's words.
func accountAdvice(r claims.Reason) (why, helpDesk string) {
	const changePw = "have the user change the password (at a Windows sign-in or your password-change page), or reset it for them"
	switch r {
	case claims.ReasonDisabled:
		return "the account is disabled in Active Directory",
			"if the user should have access, enable the account (Active Directory Users and Computers: Enable Account, or Enable-ADAccount)"
	case claims.ReasonLockedOut:
		return "the account is locked out in Active Directory (too many wrong passwords)",
			"unlock it (Active Directory Users and Computers: Account tab, Unlock account; or Unlock-ADAccount), or wait for the domain's lockout duration; then ask whether a phone or PC still tries an old password"
	case claims.ReasonAccountExpired:
		return "the account has expired in Active Directory",
			"if the user should still have access, move or clear the expiry date (Account tab, Account expires; or Set-ADAccountExpiration)"
	case claims.ReasonMustChange:
		return "the password must be changed first (\"User must change password at next logon\")",
			changePw + " without \"User must change password at next logon\"; claimgate cannot change passwords"
	case claims.ReasonPasswordExpired:
		return "the password has expired", changePw + "; claimgate cannot change passwords"
	case claims.ReasonUnknownUser:
		return "no account under the base DN matches this name",
			"check the spelling and the form (alice, EXAMPLE\\alice or alice@example.com) and that the account is under the configured base DN"
	case claims.ReasonAmbiguousUser:
		return "several accounts match this name", "make the name unique in the directory, or narrow the configured user filter"
	case claims.ReasonNotPermitted:
		return "the account may not log on now or from here", "check its logon hours and workstation restrictions"
	}
	return string(r), "see the reason in docs/active-directory.md"
}
