// Package xmlsafe is the one gate every untrusted XML document passes in
// claimgate (tokens for the verifier and for explain, AD FS metadata), and
// the one reader of what its signature says. A fix here protects all of
// them; no other package parses network XML on its own.
//
// The order nothing is trusted before the step above it:
//
//	bytes ── Read: size cap (DefaultMaxBytes, 1 MiB, unless the caller says less)
//	      ── refuse every "<!" construct, in any case and anywhere: DOCTYPE, ENTITY,
//	         ATTLIST, ELEMENT, NOTATION, conditional sections, and also comments and
//	         CDATA sections (see below)
//	      ── mattermost/xml-roundtrip-validator: inputs encoding/xml (so etree and
//	         goxmldsig) would read back differently from how they were signed
//	      ── etree parse; one root element
//	element ── Children / Child / Is: namespace-aware navigation (by URI, never prefix)
//	        ── KeyInfoCerts: ds:KeyInfo/ds:X509Data/ds:X509Certificate, strictly decoded
//	        ── SignatureMethod / DigestMethods: what SignedInfo claims, for the
//	           caller's algorithm policy
//	        ── VerifyEnveloped: goxmldsig against exactly one certificate; returns the
//	           element the signature covers, which is all a caller may read from
//
// Why comments and CDATA are refused too, although they are not markup
// declarations: nothing AD FS sends (tokens, metadata; the fixtures in
// ../testdata, ../adfsmeta/testdata and ../explain/testdata) holds either.
// A comment inside signed text is the classic SAML signature bypass
// (CVE-2017-11427 and its siblings): exclusive C14N drops it, so the digest
// covers "admin.evil.example" while a reader that stops at the comment sees
// "admin". CDATA is a second spelling of text that the canonical form
// rewrites. Refusing both costs no real document and removes the class. The
// XML declaration and processing instructions are "<?", not "<!", and pass.
//
// Certificate dates are not judged here: the verifier refuses an expired
// signer, metadata import only warns, explain reports it as its own rule.
// VerifyEnveloped therefore sets goxmldsig's clock inside the certificate's
// validity. The package is pure: no I/O, no clock.
package xmlsafe
