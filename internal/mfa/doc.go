// Package mfa holds the pure parts of claimgate's second factors: it
// computes and verifies one-time codes, makes and checks secrets, and
// imports token seeds. It keeps no state, apart from the Limiter a caller
// makes once and shares to bound argon2id memory, and serves no HTTP.
//
// The flow it owns, seen from the login state machine:
//
//	enrolment:  NewSecret -> KeyURI / QRPNG -> user proves one code with VerifyTOTP -> caller stores the secret
//	TOTP check: VerifyTOTP(secret, code, now, params, skew, lastUsedStep) -> caller stores the returned step
//	HOTP check: VerifyHOTP(secret, code, counter, lookAhead, params)       -> caller stores the new counter
//	HOTP drift: ResyncHOTP with two consecutive codes                      -> caller stores the new counter
//	SMS:        NewNumericCode -> Gateway.SendCode -> caller stores a hash and an expiry, compares later
//	app passwords: NewAppPassword -> HashPassword(NormalizeAppPassword(pw)) -> CheckPassword
//	argon2id bound: Limiter.Run(ctx, derive) around every derivation of a check, so at most Cap() run at once
//	hardware tokens: ParsePSKC (RFC 6030, plain or encrypted) -> caller assigns seeds to users
//
// Replay protection and counters are the caller's job: every verify
// function returns the step or counter the caller must persist, and takes
// the last persisted one. Clock and randomness are always parameters
// (a nil io.Reader means crypto/rand), so every function is deterministic
// under test. Codes are compared in constant time; a malformed code costs
// the same as a wrong one, apart from its length.
package mfa
