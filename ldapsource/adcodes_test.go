package ldapsource

import (
	"errors"
	"fmt"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/claimgate/claimgate/claims"
)

// adBindError is what go-ldap returns for a refused bind against AD; the
// message format is the one Samba and Windows DCs send.
func adBindError(data string) error {
	return ldap.NewError(ldap.LDAPResultInvalidCredentials,
		fmt.Errorf("80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data %s, v1db1", data))
}

func TestBindErrorADCodes(t *testing.T) {
	for data, want := range map[string]claims.Reason{
		"52e":      claims.ReasonBadPassword,
		"52E":      claims.ReasonBadPassword,
		"525":      claims.ReasonUnknownUser,
		"530":      claims.ReasonNotPermitted,
		"531":      claims.ReasonNotPermitted,
		"532":      claims.ReasonPasswordExpired,
		"533":      claims.ReasonDisabled,
		"701":      claims.ReasonAccountExpired,
		"773":      claims.ReasonMustChange,
		"775":      claims.ReasonLockedOut,
		"0000052e": claims.ReasonBadPassword, // zero-padded form some DCs use
		"999":      claims.ReasonBadPassword, // unknown sub-code: still a refusal
	} {
		got, ok := claims.IsRejected(bindError(adBindError(data)))
		if !ok || got != want {
			t.Errorf("data %s: reason %q (rejected=%v), want %q", data, got, ok, want)
		}
	}
	// invalidCredentials without AD detail (e.g. OpenLDAP).
	if r, ok := claims.IsRejected(bindError(ldap.NewError(49, errors.New("")))); !ok || r != claims.ReasonBadPassword {
		t.Errorf("plain 49: %q %v", r, ok)
	}
}

func TestBindErrorInfrastructureIsNotRejected(t *testing.T) {
	for _, err := range []error{
		ldap.NewError(ldap.ErrorNetwork, errors.New("ldap: connection timed out")),
		ldap.NewError(ldap.LDAPResultUnwillingToPerform, errors.New("unwilling")),
		ldap.NewError(ldap.LDAPResultBusy, errors.New("busy")),
		ldap.NewError(ldap.LDAPResultStrongAuthRequired, errors.New("Strong(er) authentication required")),
		fmt.Errorf("wrapped: %w", ldap.NewError(ldap.ErrorNetwork, errors.New("EOF"))),
		errors.New("something else"),
	} {
		if r, ok := claims.IsRejected(bindError(err)); ok {
			t.Errorf("%v: classified as rejected (%s), want infrastructure error", err, r)
		}
	}
	if bindError(nil) != nil {
		t.Error("bindError(nil) != nil")
	}
}
