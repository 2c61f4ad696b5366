// Command loadgen measures claimgate the way its users load it (issue 12):
// N virtual users each run the real browser-level sign-in against a
// claimgate it starts on the Samba AD DC of the tests, and in the same run
// the directory's own rate for the same LDAP work, so the report states
// ratios rather than absolute speeds of a shared machine.
//
//	go run ./internal/tools/loadgen                   # 1, 8 and 32 users, open loop at half capacity, 4 spray phases
//	go run ./internal/tools/loadgen -short            # about 40 s, few users (TestShortRun runs this)
//	go run ./internal/tools/loadgen -users 8 -duration 20s -json report.json
//	go run ./internal/tools/loadgen -src /tmp/export  # measure a claimgate built from another tree (git archive)
//	go run ./internal/tools/loadgen -short -budget-idle-mb 1   # a broken budget: exit status 1
//
// One sign-in is what a browser sent by AD FS does:
//
//	GET  /wsfed?wa=wsignin1.0&wtrealm=…  → 303 /login (session cookie)
//	POST /login      csrf + user + password → 303 /login/code
//	POST /login/code csrf + one-time code   → the auto-POST page holding wresult
//
// and the wresult is verified (signature against the signing certificate,
// audience) after the clock stops. Each virtual user keeps its own cookie
// jar across its sign-ins, as a person keeps a browser, but the session
// cookie is dropped before each one, as a browser drops it when closed (a
// kept session would be single sign-on, not a sign-in). Before anything is
// measured every user signs in once (HOTP), as real users have signed in
// before: the server knows them at this address and browser.
//
// A sign-in is an error if any step answers anything else. Errors are
// counted by kind — the step and the HTTP status ("code 503") — and the
// first three messages of each kind are kept with the page's title and
// alert text, so the report says what went wrong, not only how often.
//
// Set-up, outside the measured window: the claimgate binary is built from
// this tree (-src) into a temporary directory with a fresh signing key, store and
// configuration (plain HTTP on loopback, 127.0.0.2 its one trusted proxy);
// K users named load0001… and the spray victims spray0001… are added to the DC with ldbadd
// (idempotent: existing ones are kept; needs root on the DC's host, as
// scripts/samba/setup.sh), and each gets an OATH token through
// `claimgate users token-import` (one PSKC file, one run).
//
// One-time codes: claimgate refuses a code whose step or counter was
// already used, so a user can sign in with TOTP only once per 30 s step.
// At tens of sign-ins a second that would need thousands of users, or the
// generator would throttle itself and report its own rate. The default is
// therefore HOTP (-otp hotp): the server runs exactly the same code path
// for both kinds (one factor read, one HMAC check, the same compare-and-set
// of the factor and the same used-code record), so the measurement is the
// same work with no self-imposed limit. -otp totp uses real TOTP; a user
// is then reused only in a later step, the waits are reported
// (user_waits) and taken off the latency, and there is no warm-up.
//
// Closed loop (-users N): N workers, each starting the next sign-in when
// the last ended. Open loop (-rate R): sign-ins start on a fixed schedule
// whatever the server does, and latency is measured from the scheduled
// start, so a stalled server shows as latency (no coordinated omission:
// waiting for a user still in a slow sign-in counts too).
// -rate 0 with -open runs at half the capacity measured at the largest N.
//
// The directory baseline does, with go-ldap straight to the DC at the
// same concurrency, what ldapsource does for one sign-in: the service
// account's subtree search for the user (same filter, same attributes),
// a bind as the user on a second kept connection, and the base-scope
// tokenGroups read. The report's LDAP requests per sign-in, counted by
// the proxy below with no attack, check that claimgate sends the same.
//
// Spray: claimgate is restarted with its LDAP URL pointing at a small
// proxy in this process (ldapproxy.go) that forwards every LDAP message
// to the DC unchanged and counts BindRequests and invalidCredentials
// answers per account. Four phases of -spray each, legitimate users
// signing in from 127.0.0.1 throughout: no attack; one attacking address
// (127.0.0.3); many addresses (a fresh X-Forwarded-For from 198.18.0.0/15
// per attempt, sent by 127.0.0.2, the trusted proxy); and a flood of
// sign-in requests from one address (127.0.0.3) that are never followed,
// each with wctx at its 8 KiB limit, as fast as it can, where the report
// adds how much the database grew. badPwdCount is read
// before and after as a cross-check; the victims are unlocked at the DC
// (lockoutTime 0) before and after, since the shared test domain locks an
// account after 5 bad passwords.
//
// CPU and memory come from /proc: claimgate's utime+stime and VmHWM (the
// kernel's exact peak, reset between phases through clear_refs; VmRSS
// sampled every 5 ms where the reset is refused, marked ~), the CPU of
// every process of the Samba tree (from the pid file in smb.conf's pid
// directory), and the generator's own (getrusage). Counts, CPU and peak
// cover the same window: from before the first sign-in of a phase starts
// to after the last one in flight ended. The DC is shared with whatever
// else runs on the machine. Start to ready is the median of the starts
// of a run (three before the phases, one for the spray).
//
// The report is a table for people, the rows of issue 12's table with
// their targets, and, with -json FILE, the same as JSON. The exit status
// is 1 for a functional failure — an error in the legitimate flow, a
// token that does not verify, a directory baseline error, a phase
// without any sign-in, a wrong password accepted — or a budget broken:
// RSS idle (-budget-idle-mb, 60), under load (-budget-load-mb, 200),
// during the spray (-budget-spray-mb, 200), the database's growth during
// the sign-in request flood (-budget-flood-db-mb, 40 MiB), start to ready
// (-budget-ready, 300 ms). Never for latency or rate. One answer is not
// a failure: the server's "busy, try again" page (503 with Retry-After)
// to a user's first sign-in in the run while it sheds load from
// unfamiliar addresses; to a user that signed in before it is one.
package main
