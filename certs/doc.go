// Package certs owns claimgate's key material: the token-signing keys and
// certificates, and which of them sign and which are only published.
//
// The flow it owns:
//
//	PEM files (LoadPEM) ──┐
//	PKCS#12 .pfx (LoadPKCS12) ─┼─> KeyPair ─┐
//	Generate (certs new) ──┘            ├─> NewSet ─> Set{Signing, Published}
//	public-only .cer (LoadCertificate) ─────┘
//
// A key kept in a hardware security module (signing.signer: pkcs11) is
// known here only by its certificate: CertificateOnly makes a pair whose
// Key has the public key and refuses to sign, and package internal/signer
// opens the signer that can.
//
// The first configured pair signs tokens and metadata; every pair's
// certificate and every extra public-only certificate is published in the
// federation metadata, so AD FS learns a new key before claimgate uses it
// (a rollover without downtime).
//
// Private key files (PEM keys and .pfx files) whose permission bits let the
// group or others read them are refused: a token-signing key lets whoever
// holds it sign in as anyone in every application behind AD FS.
//
// Thumbprints are upper-case hexadecimal without separators, the way AD FS
// PowerShell (Get-AdfsCertificate, Get-AdfsClaimsProviderTrust) shows them.
//
// The package does no network I/O and reads the clock and randomness only
// through GenerateOptions (nil meaning the real ones).
package certs
