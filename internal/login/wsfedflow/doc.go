// Package wsfedflow is the WS-Federation adapter of the sign-in flow: it
// serves the passive endpoint, parses its requests with sts/wsfed into a
// protocol-neutral login.Pending, and answers a finished sign-in with the
// signed token AD FS expects (an RSTR in the wresult of an auto-POST form,
// built by sts.Issuer).
//
//	GET|POST /wsfed?wa=wsignin1.0         wsfed.ParseRequest → Pending{Protocol: "wsfed",
//	                                      Party: wtrealm, State: {realm, wctx}} → Flow.Begin
//	GET      /wsfed?wa=wsignout1.0        Flow.EndSession → wreply (when configured) or "signed out"
//	GET      /wsfed?wa=wsignoutcleanup1.0 Flow.EndSession → 200, tiny body (AD FS loads it in an iframe)
//	(sign-in finished)                    Adapter.Answer: the party looked up again by realm,
//	                                      Issuer.IssueWSFed → wa, wresult, wctx → the reply URL
//
// The state machine in internal/login knows nothing of this: it stores the
// Pending, signs the user in and hands the result to Answer. State is a
// JSON object {"realm", "wctx"}, the names sessions used before the split,
// so a session written by older code still answers (login decodes it).
package wsfedflow
