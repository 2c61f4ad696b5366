// Package saml2 will be claimgate's SAML 2.0 identity provider protocol
// core (issue 11). Nothing lives here yet; this file records what will,
// so the split of sts has a place for it.
//
// What will live here:
//
//   - AuthnRequest parsing: HTTP-Redirect (DEFLATE, the detached signature
//     over the query string) and HTTP-POST (enveloped signature), through
//     the sts/xmlsafe gate and verified with the service provider's
//     certificates via sts/xmlsig; IssueInstant window, replayed IDs,
//     NameIDPolicy, ForceAuthn, IsPassive, RelayState length; the
//     assertion consumer URL chosen from the SP's metadata, never from an
//     unchecked request field.
//   - The Response: Destination, InResponseTo, Issuer, Status, and the
//     assertion (Subject with the requested NameID format, bearer
//     SubjectConfirmationData, Conditions with the SP as Audience,
//     AuthnStatement, AttributeStatement), signed by an xmlsig.Signer with
//     the SAML 2.0 layout (Reference #ID, ds:Signature right after
//     saml:Issuer: xmlsig.PlaceAfter); optional encryption to the SP.
//   - The rule for RequestedAuthnContext (which class reference a sign-in
//     satisfied), beside WS-Fed's wsfed.AuthenticationMethodFor.
//   - LogoutRequest parsing and the signed LogoutResponse.
//
// The IdP's metadata role (md:IDPSSODescriptor) belongs to sts/metadata,
// as an addition beside the WS-Fed role; the Issuer in package sts (or a
// SAML 2.0 sibling of it) composes this package with the signer.
//
// What it must never do: import net/http or know sessions, cookies and
// pages (the SAML 2.0 adapter beside internal/login parses the HTTP
// binding and mounts the routes), read untrusted XML other than through
// sts/xmlsafe, sign or verify other than through sts/xmlsig, or keep
// mutable state: the clock, IDs, keys and the replay cache are injected.
package saml2
