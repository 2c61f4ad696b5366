// Package sts is claimgate's WS-Federation protocol core: it turns a
// sign-in request from AD FS into a signed SAML 1.1 token, publishes the
// federation metadata AD FS reads to trust us, and verifies such tokens
// (for the demo relying party, tests and tooling).
//
// The flow it owns, with the HTTP layer (internal/server) around it:
//
//	GET/POST /wsfed?wa=wsignin1.0&wtrealm=…&wctx=…
//	  └─ ParseWSFed(query, parties)  → *Request   (or *RequestError: fixed user message + log detail)
//	       login (password, second factor) happens outside this package
//	  └─ Issuer.IssueWSFed(req, subject, claims, authn) → *WSFedResponse
//	       BuildAssertion  → unsigned saml:Assertion (etree)
//	       SignAssertion   → enveloped RSA signature, serialized ONCE to bytes
//	       BuildRSTR       → WS-Trust 2005/02 RSTR with the signed bytes spliced in
//	  └─ caller renders an auto-POST form: wa, wresult, wctx → ReplyURL
//
//	GET /FederationMetadata/2007-06/FederationMetadata.xml
//	  └─ BuildMetadata(cfg) once at start-up, cached by the caller
//
//	demo relying party / tooling
//	  └─ VerifyWSFedResult / VerifySAML11Assertion → *Token (or *VerifyError naming the fault)
//	       xmlsafe.Read (the one untrusted-XML gate) → KeyInfo signer must be trusted
//	       → CheckSignatureAlgorithms (the party's policy) → xmlsafe.VerifyEnveloped
//	       → values read only from the signed element
//
// Two rules here are shared with claimgate explain so the two cannot disagree:
// AuthenticationMethodFor (which wauth a sign-in satisfied) and
// CheckSignatureAlgorithms (which SignedInfo a party's signature_algorithm accepts).
//
// The package is pure and deterministic: it does no network or HTTP work,
// and the clock, the ID source and the signing key are injected (nil
// means the real default). The wire format follows
// ../shared/docs/adfs-protocol.md; the rules the code relies on are pinned
// by golden files, xmlsec1 verification, xmllint schema validation and a
// real AD FS token in testdata/.
package sts
