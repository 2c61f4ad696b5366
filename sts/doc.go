// Package sts is claimgate's security token service: the Issuer that
// composes the document packages below it into the WS-Federation answer
// AD FS expects, a signed SAML 1.1 token in a WS-Trust RSTR.
//
// The packages, one per document, around one XML-signature layer:
//
//	sts            Issuer: IssueWSFed composes the ones below (this package)
//	sts/wsfed      the WS-Fed passive request (ParseRequest, the wauth rule),
//	               the RSTR envelope (BuildRSTR) and its verifier (VerifyResult)
//	sts/saml11     the SAML 1.1 assertion: BuildAssertion, its signer layout,
//	               VerifyAssertion / VerifyElement → Token
//	sts/saml2      the SAML 2.0 protocol (issue 11; only its doc.go so far)
//	sts/metadata   the signed EntityDescriptor, one role descriptor per protocol
//	sts/xmlsig     the one XML-signature layer: Signer (placement per document),
//	               Verify (trust, algorithm policy), VerifyError and its Faults,
//	               and algorithms.go, the one place algorithms are decided
//	sts/xmlsafe    the one gate for untrusted XML and reader of XML-DSig
//	sts/adfsmeta   AD FS metadata import;   sts/explain: claimgate explain
//
// Imports point down only: sts → wsfed → saml11 → xmlsig → xmlsafe, and
// metadata → wsfed, saml11, xmlsig (for their names). imports_test.go
// keeps it so, and keeps net/http out of all of them.
//
// The flow the Issuer owns, with the HTTP layer (internal/login and its
// WS-Fed adapter internal/login/wsfedflow) around it:
//
//	GET/POST /wsfed?wa=wsignin1.0&wtrealm=…&wctx=…
//	  └─ wsfed.ParseRequest(query, parties) → *wsfed.Request (or *wsfed.RequestError)
//	       login (password, second factor) happens outside sts
//	  └─ Issuer.IssueWSFed(req, subject, claims, authn) → *wsfed.Response
//	       saml11.BuildAssertion → unsigned saml:Assertion (etree)
//	       SignAssertion         → the xmlsig.Signer built once by NewIssuer:
//	                               enveloped RSA signature, serialized ONCE to bytes
//	       wsfed.BuildRSTR       → WS-Trust 2005/02 RSTR with the signed bytes spliced in
//	  └─ caller renders an auto-POST form: wa, wresult, wctx → ReplyURL
//
//	GET /FederationMetadata/2007-06/FederationMetadata.xml
//	  └─ metadata.Build(cfg) once at start-up, cached by the caller
//
// Package sts itself keeps only the Issuer: it is the one place that
// composes wsfed and saml11, so no document package has to import a
// sibling beside it. Callers use the document packages for everything
// else (the request and relying parties from wsfed, the token and its
// verifier from saml11 and wsfed, algorithms from xmlsig, metadata from
// metadata).
//
// The package is pure and deterministic: it does no network or HTTP work,
// and the clock, the ID source and the signing key are injected (nil
// means the real default). The wire format follows
// ../shared/docs/adfs-protocol.md; the rules the code relies on are pinned
// by golden files, xmlsec1 verification, xmllint schema validation and a
// real AD FS token in testdata/.
package sts
