// Package signer is the seam between claimgate's token signing and where
// the signing key lives. sts signs through a crypto.Signer; this package
// chooses which one, from signing.signer in the configuration:
//
//	go       the key loaded from the PEM or .pfx file, signing with Go's
//	         crypto/rsa (the default; no cgo, always built in)
//	openssl  the same key, imported once into OpenSSL's libcrypto, which
//	         signs two to three times as fast (package openssl; needs a binary
//	         built with -tags openssl, cgo and libssl-dev)
//	pkcs11   a key that never leaves a hardware security module, reached
//	         through its PKCS#11 module (package pkcs11; needs -tags pkcs11
//	         and cgo)
//
// The flow:
//
//	config.Validate ──Check(kind)──> "needs a claimgate built with -tags …"
//	                                 before anything is opened
//	app.Build ──Open(Spec)──> Signer (crypto.Signer + io.Closer), once per
//	                          generation, used for tokens and metadata
//	App.Close ──Signer.Close──> key and contexts freed, HSM sessions closed
//
// Every kind makes RSASSA-PKCS1-v1_5 signatures over SHA-256 or SHA-1
// digests (all sts/xmlsig asks for), and because that scheme is
// deterministic every kind returns the very bytes crypto/rsa would: the
// shared suite in package signertest holds all three to it.
//
// The optional kinds are compiled in by build tags, not registered at run
// time: openssl_on.go and pkcs11_on.go call the implementation, and their
// _off.go counterparts (built when the tag or cgo is missing) return the
// error that says how to build a claimgate that has them. So there is no
// registry, no init() and no global state in this package.
package signer
