// Package demo is a relying party that behaves like AD FS in front of
// claimgate, mounted at /demo/ by `claimgate demo`: its start page sends the
// browser to claimgate's WS-Fed endpoint with a realm and a wctx (kept in a
// cookie, as AD FS keeps its own), and its /demo/adfs/ls/ endpoint receives
// the POSTed token, verifies signature, audience, lifetime and wctx with
// wsfed.VerifyResult, and shows the claims it got.
//
// It exists so a newcomer sees the whole flow in a browser in a minute, and
// so the end-to-end tests have a relying party that checks what AD FS
// checks.
package demo
