// Package claims names the claim types claimgate issues and holds the
// Identity of a signed-in user, the one shape every directory returns and
// every token is built from.
//
// The package is pure data: it has no I/O, no clock and no knowledge of
// protocols. Directories (ldapsource, internal/userfile) fill an Identity;
// sts turns an Identity plus the facts of one sign-in into claims with
// Issue.
package claims
