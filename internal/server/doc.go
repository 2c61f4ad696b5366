// Package server is claimgate's HTTP face: the chi router, the middleware
// every response passes through (request id, client address, panic
// recovery, security headers, size limits, access log) and the mounting of
// the routes owned by other packages (login, metadata, the demo relying
// party). It holds no protocol or sign-in logic of its own.
//
// Security headers are strict by default: a Content-Security-Policy with no
// inline script or style, forms posting only to claimgate and the relying
// parties' reply URLs (form-action), framing forbidden, no referrer, no
// caching of pages. The two relaxations are per response and explicit, each
// asked for by its handler through an internal response header that never
// reaches the client: the WS-Fed sign-out cleanup page may be framed by
// AD FS, and the auto-POST (token) page has no form-action, because
// Chromium applies it to the redirects AD FS answers the token POST with,
// which may end on any application's origin.
package server
