// Package audit defines claimgate's audit record and the Logger that writes it.
//
// Every step of a sign-in (first factor ok/failed and why, second factor
// ok/failed, lockout, enrolment, app-password creation/use/revocation, token
// issued to a relying party, sign-out) becomes one Record. A Logger sends each
// record to its sinks: JSON lines on an io.Writer (one record per line, for the
// log pipeline) and an Appender (the durable store, for `claimgate` admin
// queries). Both sinks are always attempted; the errors are joined.
//
// A record never carries a secret. Record deliberately has no field for a
// password, code or key, and the free-form Detail map is filtered: a value whose
// key looks like it names a secret (password, code, otp, secret, token, pin,
// key, ...) is replaced by "[redacted]" before any sink sees it. Over-long
// values (user agents are attacker-controlled) are truncated.
//
// A user name that matched no account (Reason "unknown_user") is not
// recorded either: people type their password into the name field. The
// Logger puts "unknown:" and 16 hex digits of an HMAC-SHA256 of the folded
// name in its place, keyed by Options.UnknownUserKey, so repeated attempts
// with one name can still be told apart from many names, by no one without
// the key. The sign-in flow needs no part in this: every record passes here.
//
// The clock is injected (Options.Now, nil = time.Now) so records are
// deterministic in tests.
package audit
