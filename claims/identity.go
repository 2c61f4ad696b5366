package claims

import (
	"errors"
	"fmt"
)

// Identity is what a directory knows about one user. Every directory
// (Active Directory over LDAP, the YAML users file) returns this shape, so
// the login flow and token issuance never know which one answered.
type Identity struct {
	// Username is the canonical login name (the sAMAccountName in AD).
	Username string
	// UPN is the userPrincipalName, e.g. alice@example.test.
	UPN string
	// Domain is the NetBIOS domain name, used for windowsaccountname.
	Domain string
	// DisplayName is the human name shown on pages.
	DisplayName string
	// Email is the mail attribute, if any.
	Email string
	// Mobile is the phone number a code can be sent to by SMS, if any.
	Mobile string
	// SID is the user's objectSid as S-1-5-21-... text.
	SID string
	// PrimaryGroupSID is the SID of the primary group (AD's primaryGroupID).
	PrimaryGroupSID string
	// GroupSIDs are the SIDs of every group the user is in, nested ones included.
	GroupSIDs []string
	// Extra holds additional claims mapped from directory attributes,
	// keyed by claim type URI.
	Extra map[string][]string
	// Name is the value of the name claim when a Mapping chose one; empty
	// means DOMAIN\user, what AD FS's Active Directory claims provider
	// issues (see NameValue).
	Name string `json:",omitempty"`
}

// WindowsAccountName returns DOMAIN\user, or just the user name when no
// domain is known.
func (id Identity) WindowsAccountName() string {
	if id.Domain == "" {
		return id.Username
	}
	return id.Domain + `\` + id.Username
}

// NameValue returns the value of the name claim: Name when a Mapping set
// it, otherwise DOMAIN\user (WindowsAccountName), as AD FS's Active
// Directory claims provider issues it.
func (id Identity) NameValue() string {
	if id.Name != "" {
		return id.Name
	}
	return id.WindowsAccountName()
}

// Reason says why a directory refused a sign-in. It is for logs and the
// audit trail. The user sees one generic message for every reason except
// ReasonMustChange and ReasonPasswordExpired (see NeedsPasswordChange).
type Reason string

// The reasons a credential check can fail. They mirror the AD diagnostic
// codes where one exists.
const (
	ReasonUnknownUser     Reason = "unknown_user"
	ReasonAmbiguousUser   Reason = "ambiguous_user"
	ReasonBadPassword     Reason = "bad_password"         // AD 52e
	ReasonDisabled        Reason = "account_disabled"     // AD 533
	ReasonLockedOut       Reason = "account_locked"       // AD 775
	ReasonPasswordExpired Reason = "password_expired"     // AD 532
	ReasonMustChange      Reason = "password_must_change" // AD 773
	ReasonAccountExpired  Reason = "account_expired"      // AD 701
	ReasonNotPermitted    Reason = "not_permitted"        // AD 530/531: logon hours, workstation
	ReasonPolicy          Reason = "policy"               // refused by claimgate's own policy
)

// NeedsPasswordChange reports whether r says that the password was right
// but must be changed before it may be used to sign in: AD 773 (must
// change at next logon) and 532 (expired). AD answers these only to a
// correct password (52e otherwise), and a directory must return these
// reasons only after it verified the password, because the sign-in page
// names them: that reveals nothing to whoever lacks the password. (AD's
// 530 and 531, logon hours and workstation, also come only after a
// correct password, but there is nothing the user can do about them
// from the sign-in page, so they keep the generic message.)
func (r Reason) NeedsPasswordChange() bool {
	return r == ReasonMustChange || r == ReasonPasswordExpired
}

// RejectedError is returned by a directory when the credentials or the
// account are not acceptable. Any other error from a directory means the
// directory itself failed (outage, timeout) and the user should try again.
type RejectedError struct {
	Reason Reason
	// Detail is extra context for the log (e.g. the AD diagnostic message).
	// It never contains a password.
	Detail string
}

func (e *RejectedError) Error() string {
	if e.Detail == "" {
		return "sign-in rejected: " + string(e.Reason)
	}
	return fmt.Sprintf("sign-in rejected: %s (%s)", e.Reason, e.Detail)
}

// Rejected makes a RejectedError.
func Rejected(r Reason, detail string) error { return &RejectedError{Reason: r, Detail: detail} }

// IsRejected reports whether err is a RejectedError and returns its reason.
func IsRejected(err error) (Reason, bool) {
	var rej *RejectedError
	if errors.As(err, &rej) {
		return rej.Reason, true
	}
	return "", false
}
