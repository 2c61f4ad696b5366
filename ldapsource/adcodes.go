package ldapsource

import (
	"errors"
	"regexp"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/claimgate/claimgate/claims"
)

// adDataCode finds AD's sub-code in a bind error's diagnostic message:
// "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563".
var adDataCode = regexp.MustCompile(`(?i)\bdata ([0-9a-f]{3,8})\b`)

// adReasons maps AD's bind sub-codes (Win32 error numbers in hex) to reasons.
var adReasons = map[string]claims.Reason{
	"525": claims.ReasonUnknownUser,     // ERROR_NO_SUCH_USER
	"52e": claims.ReasonBadPassword,     // ERROR_LOGON_FAILURE
	"530": claims.ReasonNotPermitted,    // ERROR_INVALID_LOGON_HOURS
	"531": claims.ReasonNotPermitted,    // ERROR_INVALID_WORKSTATION
	"532": claims.ReasonPasswordExpired, // ERROR_PASSWORD_EXPIRED
	"533": claims.ReasonDisabled,        // ERROR_ACCOUNT_DISABLED
	"701": claims.ReasonAccountExpired,  // ERROR_ACCOUNT_EXPIRED
	"773": claims.ReasonMustChange,      // ERROR_PASSWORD_MUST_CHANGE
	"775": claims.ReasonLockedOut,       // ERROR_ACCOUNT_LOCKED_OUT
}

// bindError classifies the error of a user bind: invalid credentials
// (result 49) become a *claims.RejectedError with the AD reason, anything
// else (network, timeout, server busy) stays an infrastructure error.
func bindError(err error) error {
	if err == nil {
		return nil
	}
	var le *ldap.Error
	if !errors.As(err, &le) || le.ResultCode != ldap.LDAPResultInvalidCredentials {
		return err
	}
	msg := ""
	if le.Err != nil {
		msg = le.Err.Error()
	}
	if m := adDataCode.FindStringSubmatch(msg); m != nil {
		code := strings.ToLower(strings.TrimLeft(m[1], "0"))
		if r, ok := adReasons[code]; ok {
			return claims.Rejected(r, "AD data "+code)
		}
		return claims.Rejected(claims.ReasonBadPassword, "AD data "+code+" (unmapped)")
	}
	return claims.Rejected(claims.ReasonBadPassword, "invalid credentials")
}
