// Package login is the sign-in state machine and the handlers of its pages.
// It knows no protocol: a protocol adapter beside it (WS-Federation in
// internal/login/wsfedflow, SAML 2.0 later) parses its own requests into a
// Pending (protocol, party, requested authentication, force
// re-authentication, passive, the adapter's opaque state), mounts its own
// routes, and answers the signed-in user as a Responder. Adapters register
// by name (Options.Protocols); TestStateMachineKnowsNoProtocol keeps every
// sts package out of this one.
//
// One sign-in, as routes (WS-Fed's /wsfed is the adapter's):
//
//	GET|POST /wsfed?wa=wsignin1.0   adapter: wsfed.ParseRequest → Pending → Flow.Begin
//	                                → new session {stage: pending} → 303 /login
//	                                (a finished session and no ForceAuthn: Responder.Answer at once;
//	                                a Passive request without one: Responder.Refuse)
//	GET  /login                     password page (login_hint pre-fills the user name)
//	POST /login                     CSRF → session and user locks (serialize.go)
//	                                → unfamiliar address: admission (spray.go; busy → 503, nothing counted)
//	                                → Throttle.Reserve (counted before the check; refused → paced wait, same page)
//	                                → Directory.Authenticate (or an app password) → Fail | Pass
//	                                → session id rotated {stage: first} → 303 /login/code
//	GET  /login/code                code page (or the method chooser / enrolment when needed)
//	POST /login/code                CSRF → locks → Throttle.Reserve → SecondFactor.Verify (the code is
//	                                recorded used in the same durable write) → Fail | Pass
//	                                → Responder.Answer made → session saved {stage: done}, once
//	                                → audit, Throttle success (address familiar) → auto-POST page
//	                                (a refused session write sends no token)
//	GET  /wsfed?wa=wsignout1.0      adapter: Flow.EndSession → "signed out" page
//	GET  /wsfed?wa=wsignoutcleanup1.0  adapter: Flow.EndSession → 200, tiny body (AD FS loads it in an iframe)
//
// The token only leaves after both factors, and only to the reply URL
// configured for the relying party the request named. Users see fixed,
// generic messages (a wrong password and an unknown user look the same);
// the log and the audit trail get the reason. The exception is what AD
// tells only after a correct password (773 must change, 532 expired): the
// page says so, since it reveals nothing to someone without the password.
//
// A locked-out attempt checks nothing (no directory bind, no argon2id, no
// flushed write): it waits a time drawn from recently measured real checks
// (SprayGuard's pacer), so its answer is as slow as a checked one's. Only
// while nothing has been measured yet (just after a start, with locks
// already in the store) does it spend the decoy work instead (Decoy,
// AppPasswords.SpendCheck). A store that cannot count attempts gets "try
// again later" whatever the credential. Session writes
// name the version they read (create, compare-and-set update, atomic
// rotation), so a session that sign-out deleted or another request rotated
// is never written back.
//
// Everything the flow needs from outside is a small interface declared
// here: Directory, Sessions, SecondFactor, AppPasswords, Throttle,
// Reservation, Decoy, Auditor, and Protocol/Responder for the adapters.
// Sessions written before the split (the WS-Fed request in "pending") are
// read into a Pending (session_legacy.go).
package login
