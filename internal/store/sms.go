package store

import "time"

// DecideSMSSend applies lim to the pending code cur (found false: none)
// for a send of hash at now, and returns what TakeSMSSend reports. It is
// the rule every driver applies inside its atomic step, so that all
// drivers limit alike.
func DecideSMSSend(cur PendingSMS, found bool, hash string, now time.Time, lim SMSLimits) SMSSend {
	if !found || cur.Expires.Before(now) {
		return SMSSend{Taken: true, Pending: PendingSMS{Hash: hash, Expires: now.Add(lim.TTL), Sends: 1, LastSent: now}}
	}
	if cur.Sends >= lim.MaxSends || now.Sub(cur.LastSent) < lim.MinInterval {
		return SMSSend{Pending: cur}
	}
	return SMSSend{Taken: true, Prev: cur,
		Pending: PendingSMS{Hash: hash, Expires: cur.Expires, Sends: cur.Sends + 1, LastSent: now}}
}
