// Package server is claimgate's HTTP face: the chi router, the middleware
// every response passes through (request id, client address, panic
// recovery, security headers, size limits, access log) and the mounting of
// the routes owned by other packages (login, metadata, the demo relying
// party). It holds no protocol or sign-in logic of its own.
//
// Security headers are strict by default: a Content-Security-Policy with no
// inline script or style, framing forbidden, no referrer, no caching of
// pages. The only relaxation is per response and explicit: the WS-Fed
// sign-out cleanup page may be framed by AD FS, and the auto-POST page may
// submit its form to the relying parties' reply URLs (form-action).
package server
