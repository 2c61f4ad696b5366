// Package saml2 is claimgate's SAML 2.0 identity provider protocol core
// (issue 11): AD FS (Add-AdfsClaimsProviderTrust -ProtocolProfile SAML),
// Shibboleth and SimpleSAMLphp sign users in through it. It is pure: the
// SAML 2.0 adapter beside internal/login parses nothing itself, it hands
// this package the query or form and renders what comes back.
//
//	GET  /saml2/sso?SAMLRequest=…&RelayState=…[&SigAlg=…&Signature=…]
//	  └─ ParseRedirect(r.URL.RawQuery, sps, ParseOptions) → *AuthnRequest
//	       decodeRedirect: raw parameters (duplicates refused), base64, raw
//	         DEFLATE capped at MaxBytes (deflate bombs stop there), RelayState
//	POST /saml2/sso  SAMLRequest=…&RelayState=…
//	  └─ ParsePOST(form, sps, ParseOptions) → *AuthnRequest
//	both:
//	  readMessage: xmlsig.ReadUntrusted (the xmlsafe gate: size, no "<!",
//	    round trip) → samlp:AuthnRequest by namespace → Issuer = a known SP
//	    → signature (verifyMessage): POST enveloped through xmlsig.Verify,
//	    Redirect detached over the exact query octets (every certificate
//	    tried: one that verifies and is valid now); required when the SP
//	    is AuthnRequestsSigned or ParseOptions.RequireSignedRequests (what
//	    our metadata's WantAuthnRequestsSigned promises); values read from
//	    the signed element only
//	  chooseACS: the ACS URL only if registered, else the index, else the
//	    SP's default; never an address the SP did not register
//	  ── from here a refusal can be a SAML error Response (StatusError.Request)
//	  header: ID an NCName (it comes back as InResponseTo); check: Version,
//	    Destination = our endpoint (required when signed), IssueInstant
//	    within the skew, replayed ID (IDCache, remembered until
//	    max(IssueInstant, now) + skew + a minute); ProtocolBinding HTTP-POST
//	    only; NameIDPolicy: the SP's NameIDFormat (or one of its
//	    NameIDFormats), never the request's choice (InvalidNameIDPolicy);
//	    RequestedAuthnContext; ForceAuthn, IsPassive (the login flow acts
//	    on them)
//
//	login (password, second factor: AuthnRequest.NeedsSecondFactor) happens outside
//
//	IdP.Respond(ResponseInput) → *Response, POSTed as SAMLResponse + RelayState to the ACS
//	  AuthnContextFor: the class reference (multipleauthn after two factors,
//	    PasswordProtectedTransport otherwise, or the exact one asked for)
//	  makeNameID: unspecified, emailAddress, persistent (HMAC of the user's
//	    SID and the SP's entity ID under a key passed in), transient (random)
//	  SessionIndex: per SP, "_" + hex(HMAC(SessionIndexKey, session ‖ SP)),
//	    so SPs cannot link a user by it; AuthnInstant is the real time of
//	    the authentication and the same everywhere
//	  buildAssertion → signed by xmlsig (ds:Signature right after Issuer)
//	    → optionally encrypted to the SP (the SP metadata's
//	    md:EncryptionMethod choice when it lists one; else AES-256-GCM, but
//	    AES-256-CBC for AD FS, whose .NET EncryptedXml knows no GCM; the
//	    configuration overrides; the key travels RSA-OAEP-MGF1P)
//	  samlp:Response around it, signed too when the SP is SignResponse
//	IdP.ErrorResponse(*StatusError)  signed Response with the status, no assertion
//
//	ParseLogoutRedirect / ParseLogoutPOST → *LogoutRequest (signed unless the SP
//	  is InsecureUnsignedLogout; a plain NameID only: EncryptedID is refused,
//	  so our metadata publishes no encryption key);  IdP.LogoutMatches maps its
//	  SessionIndexes back to our session;  IdP.LogoutResponse → signed, to the
//	  SP's POST SLO
//
//	SPFromMetadata(bytes, MetadataOptions) → *SP from an SPSSODescriptor (AD FS's
//	  own metadata), signature checked against pinned certificates, refused
//	  past validUntil; the default ACS by metadata §2.2.3; md:EncryptionMethod
//	  read; pinned to one NameID format. SP.Validate wants https endpoints
//	  unless the SP is InsecureHTTP
//
// Errors are *StatusError: a SAML status (Requester/Responder/
// VersionMismatch and a second-level code), a fixed Message for users and
// SPs, and a Detail for the log. When Request (or Logout) is set the answer
// is a SAML message to the SP's registered endpoint; otherwise nothing
// about the sender is proven and the answer is a 400 page.
//
// The Redirect binding's signature is not XML-DSig, so it is computed
// here (signature.go) with crypto/rsa; which algorithms an SP may use is
// still xmlsig's decision (xmlsig.SignatureMethods). Everything XML-DSig
// goes through xmlsig.
//
// What it must never do: import net/http or know sessions, cookies and
// pages; read untrusted XML other than through sts/xmlsafe (via
// xmlsig.ReadUntrusted); send a message to an address the SP did not
// register; or keep mutable state: the clock, IDs, randomness, keys and the
// replay cache are injected (sts/imports_test.go keeps its imports to
// xmlsig, xmlsafe, claims and sts/internal).
package saml2
