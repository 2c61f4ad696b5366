// Package login is the sign-in state machine and the handlers of its pages.
//
// One sign-in, as routes:
//
//	GET|POST /wsfed?wa=wsignin1.0   parse (sts.ParseWSFed) → new session {stage: pending} → 303 /login
//	                                (a finished session and no wfresh=0/prompt=login: token at once)
//	GET  /login                     password page (login_hint pre-fills the user name)
//	POST /login                     CSRF → throttle → Directory.Authenticate (or an app password)
//	                                → session id rotated {stage: first} → 303 /login/code
//	GET  /login/code                code page (or the method chooser / enrolment when needed)
//	POST /login/code                CSRF → throttle → SecondFactor.Verify (replay-safe)
//	                                → session id rotated {stage: done} → token → auto-POST page
//	GET  /wsfed?wa=wsignout1.0      session ended → "signed out" page
//	GET  /wsfed?wa=wsignoutcleanup1.0  session ended → 200, tiny body (AD FS loads it in an iframe)
//
// The token only leaves after both factors, and only to the reply URL
// configured for the relying party the request named. Users see fixed,
// generic messages (a wrong password and an unknown user look the same);
// the log and the audit trail get the reason.
//
// Everything the flow needs from outside is a small interface declared
// here: Directory, Sessions, SecondFactor, Throttle, Auditor, TokenIssuer.
package login
