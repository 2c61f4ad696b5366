package sts

import "github.com/claimgate/claimgate/claims"

// AuthenticationMethod picks the AuthenticationStatement's method for this
// request (protocol notes §3, "Echo the requested method"): AD FS rejects a
// token whose method differs from the one the relying party required, so
// when wauth names a method this sign-in satisfied, exactly that URI is
// returned. A password always counts; multipleauthn and wiaormultiauthn
// count only after a second factor. Otherwise the method is what was
// really done: multipleauthn after two factors, SAML password otherwise.
//
// satisfied is false when wauth asked for something this sign-in did not
// deliver (unknown values, TLS client certificates, Windows integrated,
// MFA without a second factor); the caller should log a warning, since AD
// FS may refuse the token.
func (r *Request) AuthenticationMethod(secondFactor bool) (method string, satisfied bool) {
	fallback := claims.SAMLPassword
	if secondFactor {
		fallback = claims.MultipleAuthn
	}
	switch r.RequestedAuth {
	case "":
		return fallback, true
	case claims.SAMLPassword:
		return claims.SAMLPassword, true
	case claims.MultipleAuthn, claims.WIAOrMultipleAuthn:
		if secondFactor {
			return r.RequestedAuth, true
		}
	}
	return fallback, false
}
