package wsfed

import "github.com/claimgate/claimgate/claims"

// AuthenticationMethod picks the AuthenticationStatement's method for this
// request; see AuthenticationMethodFor.
func (r *Request) AuthenticationMethod(secondFactor bool) (method string, satisfied bool) {
	return AuthenticationMethodFor(r.RequestedAuth, secondFactor)
}

// AuthenticationMethodFor is the rule for a sign-in asked for the method
// wauth (protocol notes §3, "Echo the requested method"): AD FS rejects a
// token whose method differs from the one the relying party required, so
// when wauth names a method this sign-in satisfied, exactly that URI is
// returned. Every password method counts after any sign-in (a second
// factor adds to a password, it does not replace it); multipleauthn and
// wiaormultiauthn count only after a second factor. Otherwise the method
// is what was really done: multipleauthn after two factors, SAML password
// otherwise. claimgate explain judges tokens with this same function, so
// the issuer and explain cannot disagree about what should have been sent.
// The rule is WS-Fed's (wauth, and SAML 1.1 method URIs as fallbacks);
// SAML 2.0's RequestedAuthnContext will get its own in sts/saml2.
//
// satisfied is false when wauth asked for something this sign-in did not
// deliver (unknown values, TLS client certificates, Windows integrated,
// MFA without a second factor); the caller should log a warning, since AD
// FS may refuse the token.
func AuthenticationMethodFor(wauth string, secondFactor bool) (method string, satisfied bool) {
	fallback := claims.SAMLPassword
	if secondFactor {
		fallback = claims.MultipleAuthn
	}
	switch wauth {
	case "":
		return fallback, true
	case claims.SAMLPassword, claims.SAML2PasswordProtectedTransport, claims.SAML2Password, claims.AMRPassword:
		return wauth, true
	case claims.MultipleAuthn, claims.WIAOrMultipleAuthn:
		if secondFactor {
			return wauth, true
		}
	}
	return fallback, false
}
