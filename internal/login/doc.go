// Package login is the sign-in state machine and the handlers of its pages.
//
// One sign-in, as routes:
//
//	GET|POST /wsfed?wa=wsignin1.0   parse (sts.ParseWSFed) → new session {stage: pending} → 303 /login
//	                                (a finished session and no wfresh=0/prompt=login: token at once)
//	GET  /login                     password page (login_hint pre-fills the user name)
//	POST /login                     CSRF → Throttle.Reserve (counted before the check)
//	                                → Directory.Authenticate (or an app password) → Fail | Pass
//	                                → session id rotated {stage: first} → 303 /login/code
//	GET  /login/code                code page (or the method chooser / enrolment when needed)
//	POST /login/code                CSRF → Throttle.Reserve → SecondFactor.Verify (replay-safe) → Fail | Pass
//	                                → session id rotated {stage: done} → token → auto-POST page
//	GET  /wsfed?wa=wsignout1.0      session ended → "signed out" page
//	GET  /wsfed?wa=wsignoutcleanup1.0  session ended → 200, tiny body (AD FS loads it in an iframe)
//
// The token only leaves after both factors, and only to the reply URL
// configured for the relying party the request named. Users see fixed,
// generic messages (a wrong password and an unknown user look the same);
// the log and the audit trail get the reason. The exception is what AD
// tells only after a correct password (773 must change, 532 expired): the
// page says so, since it reveals nothing to someone without the password.
//
// A locked-out attempt checks nothing (no directory bind) but spends the
// same work (Decoy, AppPasswords.SpendCheck), and a store that cannot count
// attempts gets "try again later" whatever the credential. Session writes
// name the version they read (create, compare-and-set update, atomic
// rotation), so a session that sign-out deleted or another request rotated
// is never written back.
//
// Everything the flow needs from outside is a small interface declared
// here: Directory, Sessions, SecondFactor, AppPasswords, Throttle,
// Reservation, Decoy, Auditor, TokenIssuer.
package login
