// Package factors connects the sign-in flow (internal/login) to the pure
// second-factor code (internal/mfa) and the durable state
// (internal/store): it lists a user's methods, verifies TOTP, HOTP and SMS
// codes with replay protection that survives restarts, checks app
// passwords, runs self-enrolment, applies lockout and writes audit
// records.
//
// Replay protection is two locks that both have to open: the factor's
// counter or last time step moves forward with a compare-and-set, and
// every accepted code leaves a used-code record; for a factor in the store
// both are one durable store step (store.UseFactorCode, one flush, all or
// nothing), for the users file's secret, which has no factor row,
// store.UseStep keeps the last step and store.UseCode the record. Of two
// simultaneous submissions of one code only one can win either.
//
// SMS codes are pending in the store (store.SMSCodeStore, only a hash):
// the send limits are checked and the send recorded in one atomic store
// step, and a code is consumed by one caller, so several instances behind
// a load balancer send, limit and accept exactly as one would.
//
// Admin rules live here, not in the CLI: CreateAppPassword enforces
// MaxAppPasswords and hashes with the user's salt.
package factors
