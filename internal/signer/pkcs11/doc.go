// Package pkcs11 is a crypto.Signer whose RSA key never leaves a hardware
// security module, for claimgate's signing.signer: pkcs11. It talks to the
// vendor's PKCS#11 library (Thales Luna, Entrust nShield, YubiHSM,
// AWS CloudHSM, SoftHSM for tests) through github.com/miekg/pkcs11.
//
// The code is compiled only with -tags pkcs11 and cgo; without them this
// package is empty and package signer says how to build a claimgate that
// has it.
//
// The flow:
//
//	Open(Config)   load and initialise the module (once per process), find
//	               the one token with the label, open Sessions sessions, log
//	               in with the user PIN (unless the token's flags say a wrong
//	               PIN was already tried: then refuse without trying), find
//	               the private key by CKA_LABEL and read its public key
//	               (modulus and exponent), for the caller to match against
//	               the certificate
//	Sign(digest)   take a free session (waiting at most WaitTimeout),
//	               C_SignInit(CKM_RSA_PKCS) and C_Sign over
//	               DigestInfo(hash, digest): the module pads and signs, so
//	               the result is RSASSA-PKCS1-v1_5, the bytes crypto/rsa
//	               makes with the same key; give the session back. If the
//	               token lost the session or the login, reopen the pool and
//	               log in again under the write lock, and retry once
//	               (recover.go)
//	Probe          a Sign of a fixed digest, for /readyz
//	Close          close the sessions, log out and finalise when the last
//	               signer on the module is closed, and only what this
//	               package itself logged in and initialised
//
// PKCS#11 keeps initialisation and the login per process and per token,
// not per session: C_Initialize twice fails, and C_Logout or C_Finalize
// would cut off every other session of the process. During a reload the
// new generation's signer opens before the old one closes, on the same
// module and token, so this package counts its users of each module and
// token (modules.go) and logs out and finalises only when the last one
// closes. Modules are told apart by their file (device and inode), not
// their path, because the dynamic loader gives one copy of a library to
// a symlink and its target alike. That count is the package's only shared
// state; it mirrors the state the C library keeps anyway. One consequence: while a signer is
// open, a second Open on the same token does not log in again, so it
// checks its PIN against the one the token was logged in with instead
// (kept as an HMAC under a random per-process key), and a changed PIN
// takes effect on restart.
package pkcs11
