// Package rpsource keeps a party's federation metadata current: an AD FS
// relying party's (Source, read by sts/adfsmeta) and a SAML 2.0 service
// provider's (SPSource, read by sts/saml2.SPFromMetadata after the same
// pinned-signature check). Both are a Refresher, one refresher for every
// kind of metadata claimgate follows; only the Parser differs.
//
// A Refresher reads the metadata from a URL (HTTPS) or a file, verifies it
// with its Parser (pinned signing certificates), and refreshes it on an
// interval:
//
//	Start ── load CachePath (the last good copy, re-verified) ── fetch ── every RefreshInterval: fetch
//	fetch ── HTTP GET with timeout, io.LimitReader(MaxBytes+1) ── Parse ──┬─ ok:   swap Current, persist to CachePath (atomic rename)
//	                                                                      └─ fail: keep Current, log, record in Status
//
// Loading the cache before the first fetch is what lets claimgate restart while
// AD FS is down: the persisted copy is verified with the same pins as a fresh
// download, so a tampered cache file is refused rather than trusted.
//
// A service provider is known by its entity ID, so an SPSource is
// KeepEntityID: a document naming another entity is a failed refresh (the
// last good SP stays), where a relying party's only logs the change. The
// SP parser's check hook lets the caller apply its own settings and
// validate the SP, so a document that would yield an unusable SP (no
// encryption certificate while encryption is on, say) is refused the same
// way.
//
// Status is what health output shows: last success, last attempt, last error,
// the entityID and the signing-certificate thumbprints in use.
package rpsource
