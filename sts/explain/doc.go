// Package explain tells an AD FS administrator, rule by rule, whether AD FS would
// accept a token that a claims provider (claimgate or another) posted to it, and
// which AD FS event / MSIS / WIF ID code each fault produces.
//
// Flow of Explain:
//
//	input ── decode: form POST body (wa=…&wresult=…&wctx=…), SAMLResponse=…, the saved HTML
//	         auto-POST page (its form's field, as a browser posts it), base64, or XML;
//	         anything else is an *InputError, never a verdict
//	      ── well-formed: the one untrusted-XML gate (sts/xmlsafe.Read: size cap, no "<!"
//	         construct, xml-roundtrip-validator), the same the verifier and metadata pass
//	      ── samlp:Response: the SAML 2.0 rules below (explainResponse)
//	      ── locate: RSTR (WS-Trust 2005/02 or a 1.3 collection) → saml:Assertion (SAML 1.1),
//	         or a bare saml:Assertion (1.1 or 2.0)
//	      ── rules (each a Check, in this order, CheckNames): rstr-shape, saml-version,
//	         assertion-id, signature, cr-handling, signing-key, signature-algorithm, issuer,
//	         single-audience, audience, applies-to, lifetime, authentication-statement,
//	         authentication-method, subjects, forbidden-elements
//
// A SAML 2.0 Response (what a -ProtocolProfile SAML claims provider trust
// receives) has its own rules, with the same Check, Report and shared
// checks (SAML2CheckNames):
//
//	response (Version, ID, IssueInstant) → status (an error Response is explained:
//	  both status codes and the message; Report.Refusal, no assertion rules) →
//	encryption (EncryptedAssertion: algorithms and recipient certificate; decrypted with
//	  Options.DecryptionKey, then the assertion inside is judged; RSA v1.5 refused) →
//	saml-version, assertion-id → issuer (Response's = assertion's = ExpectedIssuer) →
//	destination (= ExpectedDestination; required when the Response is signed) →
//	in-response-to (Response = SubjectConfirmationData = ExpectedRequestID) →
//	signature-wrapping (exactly one assertion, a direct child; none nested) →
//	signature (the Response's and/or the assertion's; AD FS wants the assertion signed) →
//	signature-reference (one Reference, URI = the signed element's ID) → signing-key →
//	signature-algorithm → subject-confirmation (bearer, Recipient, NotOnOrAfter, no
//	  NotBefore) → audience (every AudienceRestriction names AD FS) → lifetime →
//	authentication-statement (AuthnInstant, SessionIndex, class) → name-id → attributes
//	  (claim URI names, primarysid a SID, upn present)
//
// ReadAuthnRequest takes the ID, Issuer and ACS out of the SAMLRequest AD FS
// sent (explain --request), so the Response can be judged against it.
//
// Every value is read from what a signature covers: after a signature verifies,
// the rules look at the element goxmldsig returns from the signed bytes, not at
// the parsed document around it, so wrapped content is never what passes.
//
// Two rules are judged by claimgate's own code rather than a copy of it, so explain
// cannot disagree with what claimgate issues or accepts: signature-algorithm uses the
// verifier's policy (xmlsig.CheckSignatureAlgorithms) against the claims provider trust's
// SignatureAlgorithm (Options.SignatureAlgorithm, rsa-sha256 by default, as AD FS sets
// a new trust), and authentication-method, given the sign-in request (Options.Request),
// requires exactly its wauth and explains a mismatch with the issuer's rule
// (wsfed.AuthenticationMethodFor): satisfied but not echoed, or not satisfiable.
//
// The signature is verified exactly as AD FS sees it: the bytes are parsed (which
// normalises CR LF to LF, XML 1.0 §2.11) and the enveloped signature is checked
// with goxmldsig against the KeyInfo certificate. Trust in that certificate is a
// separate rule (signing-key), so "the bytes were changed" and "signed by a key
// AD FS does not know" are reported apart. When the digest fails and the input
// holds a raw CR, the check is repeated with every raw CR written as &#13;; if
// that verifies, the fault is the CR handling of the signer (the real AD FS token
// in testdata shows it), not the signature itself.
//
// Codes: 364 is the AD FS Admin-log event that wraps every passive-request failure;
// the inner exception is what tells faults apart (MSIS7012 wrapping a signature
// error, ID4037 unresolvable key, event 371 unmatched token issuer, ID4175 issuer,
// ID1038 audience, ID4148 lifetime, MSIS7000 malformed message, MSIS7102 method not
// the one required). For a SAML 2.0 Response only event 364 is named (and
// MSIS7070 for the NameID): the inner codes of AD FS's SAML path are not
// confirmed. Event 372 ("Weak Signature Algorithm Error") is logged for a
// signature weaker than the trust's SignatureAlgorithm. Codes for faults
// AD FS has no dedicated message for are the closest documented ones; see
// docs/adfs.md for which are confirmed.
package explain
