// Package openssl is a crypto.Signer that signs with OpenSSL's libcrypto
// (version 3), for claimgate's signing.signer: openssl. It exists for
// speed: on the same machine libcrypto signs RSA-2048 two to three times
// as fast as crypto/rsa, which matters when every sign-in costs a token
// signature.
//
// The code is compiled only with -tags openssl and cgo (Debian: libssl-dev
// and pkg-config); without them this package is empty and package signer
// says how to build a claimgate that has it.
//
// The flow:
//
//	New(*rsa.PrivateKey)   once: the key is imported into an EVP_PKEY (PKCS#1
//	                       DER, wiped afterwards), one signing context per
//	                       hash is made up front so a broken libcrypto fails
//	                       here, not on the first sign-in
//	Key.Sign(digest)       per token: a context initialised for RSASSA-PKCS1-v1_5
//	                       with that hash is taken from a free list (or made),
//	                       EVP_PKEY_sign, the context goes back; no per-call
//	                       set-up, which is what lets it reach `openssl speed`
//	Key.Close              frees the contexts and the key
//
// The signatures are byte for byte those of crypto/rsa.SignPKCS1v15: the
// scheme is deterministic, and the tests compare them. RSA-PSS and hashes
// other than SHA-256 and SHA-1 are refused (sts/xmlsig signs with nothing
// else).
package openssl
