// Package factors connects the sign-in flow (internal/login) to the pure
// second-factor code (internal/mfa) and the durable state
// (internal/store): it lists a user's methods, verifies TOTP, HOTP and SMS
// codes with replay protection that survives restarts, checks app
// passwords, runs self-enrolment, applies lockout and writes audit
// records.
//
// Replay protection is two locks that both have to open: the factor's
// counter or last time step moves forward with a compare-and-set
// (store.UpdateFactorUse; for the users file's secret, which has no factor
// row, store.UseStep keeps the last step), and every accepted code leaves a used-code record
// (store.UseCode). Of two simultaneous submissions of one code only one
// can win either.
package factors
