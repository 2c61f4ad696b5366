// Package xmlsig is claimgate's one XML-signature layer: every document sts
// signs (the SAML 1.1 assertion, the federation metadata, later the SAML
// 2.0 Response, assertion and LogoutResponse) is signed by a Signer, and
// every signed document it reads is believed only through Verify. The
// algorithms both sides accept are decided in one file, algorithms.go.
//
//	sign:   NewSigner(key, certificate, Layout)    once, at start-up
//	          CheckKeyPair: RSA, and the key belongs to the certificate
//	          the certificate base64-encoded once for KeyInfo
//	        Signer.Sign(element, algorithm)         per document
//	          exclusive C14N of the element in one pass, no copy (c14n.go)
//	          SignedInfo from its fixed template, prefix "ds", Reference "#" +
//	          the layout's ID attribute (signedinfo.go); one RSA signature
//	          ds:Signature spliced in where the Layout says (PlaceLast: SAML
//	          1.1; PlaceFirst: metadata; PlaceAfter: SAML 2.0, right after
//	          saml:Issuer) while the element is written once, as
//	          xmltext.Serialize would write it
//	          the bytes are goxmldsig's, byte for byte: equiv_test.go compares
//	          with the goxmldsig path it replaced on every test document and
//	          on random claim values
//
//	verify: ReadUntrusted(bytes, cap)              xmlsafe.Read, the one gate
//	        Verify(element, Layout, Trust)          exactly one ds:Signature child
//	          KeyInfo certificate = a trusted one, byte for byte
//	          CheckSignatureAlgorithms (the party's policy)
//	          certificate valid now (unless Trust.IgnoreTime)
//	          xmlsafe.VerifyEnveloped → the signed element, all a caller may read
//
// Refusals are *VerifyError with a Fault. The gate and signature faults are
// raised here; the document packages (saml11, wsfed) raise the others
// (structure, audience, lifetime, subject) with Reject, so explain, the
// demo and the tests classify a refused token one way, whatever document
// carried it.
//
// What it must never do: know a document's content (it gets the element,
// the ID attribute and where the signature goes, nothing else), read
// untrusted bytes other than through sts/xmlsafe, touch the network or the
// clock except through Trust.Now, or see key bytes: the key is a
// crypto.Signer, so an HSM or KMS can hold it.
package xmlsig
