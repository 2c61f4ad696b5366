// Package app wires claimgate together from a validated configuration:
// key material (certs), the token issuer and cached metadata (sts), the
// directory (ldapsource or internal/userfile), the store, second factors,
// lockout, audit, the sign-in flow (internal/login) and the HTTP server. It
// is the only package that knows every other one; cmd/claimgate stays a thin
// layer of flags and exit codes on top of it.
//
// Everything expensive happens once, in Build: keys are parsed, signing
// contexts made and the metadata signed before the first request.
package app
