// Package saml11 is the SAML 1.1 assertion claimgate issues inside a
// WS-Federation RSTR, in AD FS's layout (protocol notes §3), and the
// verifier of such assertions (claimgate's own, and AD FS's for the demo,
// tests and tooling).
//
//	BuildAssertion(AssertionInput) → unsigned saml:Assertion (etree): Conditions,
//	    AttributeStatement, AuthenticationStatement, identical Subjects; every
//	    string checked for XML 1.0 first (errors wrap sts.ErrInvalidXMLText)
//	NewSigner(key, certificate)    → the xmlsig.Signer with the SAML 1.1 layout:
//	    Reference #AssertionID, ds:Signature as the last child
//
//	VerifyAssertion(bytes, VerifyOptions) → *Token, or *xmlsig.VerifyError
//	    ReadUntrusted (options checked, then the xmlsafe gate, MaxTokenSize)
//	    VerifyElement: xmlsig.Verify (trusted KeyInfo certificate, algorithm
//	    policy, certificate dates, signature) → shape (MWBF 2.2.4.2), Audience,
//	    NotBefore/NotOnOrAfter, all read only from the signed element
//
// The RSTR around the assertion, and the wresult verifier that unwraps it,
// are in sts/wsfed; the Issuer that composes them is package sts.
//
// What it must never do: know HTTP or the WS-Fed request (no net/http, no
// wa/wtrealm), sign or serialize on its own (xmlsig does, once), read a
// value from outside the signed element, or keep state: the clock and the
// key are the caller's.
package saml11
