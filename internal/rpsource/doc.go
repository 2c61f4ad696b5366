// Package rpsource keeps an AD FS relying party's federation metadata current.
//
// A Source reads the metadata from a URL (HTTPS) or a file, verifies it with
// sts/adfsmeta (pinned signing certificates), and refreshes it on an interval:
//
//	Start ── load CachePath (the last good copy, re-verified) ── fetch ── every RefreshInterval: fetch
//	fetch ── HTTP GET with timeout, io.LimitReader(MaxBytes+1) ── adfsmeta.Parse ──┬─ ok:   swap Current, persist to CachePath (atomic rename)
//	                                                                                └─ fail: keep Current, log, record in Status
//
// Loading the cache before the first fetch is what lets claimgate restart while
// AD FS is down: the persisted copy is verified with the same pins as a fresh
// download, so a tampered cache file is refused rather than trusted.
//
// Status is what health output shows: last success, last attempt, last error,
// the entityID and the signing-certificate thumbprints in use.
package rpsource
