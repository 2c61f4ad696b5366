package lockout

import (
	"net/netip"
	"strconv"
	"strings"
)

// Scope says what a lock applies to.
type Scope string

// The lock scopes.
const (
	ScopePair Scope = "pair" // one user from one address
	ScopeAddr Scope = "addr" // one address, every user
	ScopeUser Scope = "user" // one user, every address
)

// Key prefixes. User names are quoted so no user name can forge another key
// or widen an unlock prefix.
const (
	pfxPair    = "pair:"
	pfxAddr    = "addr:"
	pfxUser    = "user:"
	pfxStrikes = "strikes:"
	pfxKnown   = "known:"
	// pfxUnfamiliar counts one kind of failure of a user from every
	// address not familiar for that user (extranet smart lockout).
	pfxUnfamiliar = "unfamiliar:"
	// pfxFlight counts the attempts from an address still being checked
	// for users to whom it is familiar (see Reserve).
	pfxFlight = "flight:"
)

// normUser folds case and spaces: "Alice" and "alice " are one account to
// the directory, so they must be one account to the counters.
func normUser(u string) string { return strings.ToLower(strings.TrimSpace(u)) }

// addrKey groups IPv6 clients by /64, the unit one subscriber usually gets:
// otherwise one attacker would be 2^64 "addresses".
func addrKey(a netip.Addr) string {
	a = a.Unmap().WithZone("")
	switch {
	case !a.IsValid():
		return "unknown"
	case a.Is6():
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

func userPrefix(u string) string             { return strconv.Quote(normUser(u)) }
func pairKey(u string, a netip.Addr) string  { return pfxPair + userPrefix(u) + "@" + addrKey(a) }
func userKey(u string) string                { return pfxUser + userPrefix(u) }
func strikesKey(u string) string             { return pfxStrikes + userPrefix(u) }
func knownKey(u string, a netip.Addr) string { return pfxKnown + userPrefix(u) + "@" + addrKey(a) }
func addrLockKey(a netip.Addr) string        { return pfxAddr + addrKey(a) }
func flightKey(a netip.Addr) string          { return pfxFlight + addrKey(a) }
func unfamiliarKey(u string, k Kind) string  { return pfxUnfamiliar + string(k) + ":" + userPrefix(u) }

// parseKey splits a lock key back into scope, user and address; ok is false
// for keys that are not locks (counters, known addresses).
func parseKey(k string) (s Scope, user, addr string, ok bool) {
	switch {
	case strings.HasPrefix(k, pfxAddr):
		return ScopeAddr, "", k[len(pfxAddr):], true
	case strings.HasPrefix(k, pfxUser):
		u, err := strconv.Unquote(k[len(pfxUser):])
		return ScopeUser, u, "", err == nil
	case strings.HasPrefix(k, pfxPair):
		rest := k[len(pfxPair):]
		q, err := strconv.QuotedPrefix(rest)
		if err != nil || !strings.HasPrefix(rest[len(q):], "@") {
			return "", "", "", false
		}
		u, _ := strconv.Unquote(q)
		return ScopePair, u, rest[len(q)+1:], true
	}
	return "", "", "", false
}
