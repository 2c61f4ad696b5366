package sqlitestore

import (
	"crypto/sha256"
	"sync"
)

// minSweep is the table size below which expired leases are left for
// their key's next take (or Cleanup) rather than swept.
const minSweep = 1024

// leaseTable is the leases of a DB opened with Options.Serve, in memory:
// that DB holds the serve lock, so no other DB (no other process, no
// other handle in this one) takes a lease on the file, and a lease that
// no one else can see need not be written. The semantics are the SQL
// upsert's (leases.go): a take succeeds on a free key, on one expired by
// the caller's now, or on the owner's own (a renewal); a release frees
// only the owner's. A key is kept as its hash only (store.HashID), as in
// the file: a session's key carries its cookie.
//
// The table holds the leases in flight (a Locker releases each one when
// its holder is done) and the expired ones not yet swept: when it has
// doubled since the last sweep (and holds minSweep or more), a take sweeps
// it, so a flood of distinct keys costs memory for at most the leases that
// are live, amortised O(1) a take.
type leaseTable struct {
	mu      sync.Mutex
	m       map[[sha256.Size]byte]memLease
	sweepAt int // the size at which the next take sweeps
}

// memLease is one lease: its owner and expiry (Unix nanoseconds, as the
// leases table keeps it).
type memLease struct {
	owner   string
	expires int64
}

func newLeaseTable() *leaseTable {
	return &leaseTable{m: map[[sha256.Size]byte]memLease{}, sweepAt: minSweep}
}

// take gives key's lease to owner until expires when it is free, expired
// at now, or owner's.
func (t *leaseTable) take(key [sha256.Size]byte, owner string, now, expires int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l, ok := t.m[key]; ok && l.expires > now && l.owner != owner {
		return false
	}
	if len(t.m) >= t.sweepAt {
		t.sweep(now)
		t.sweepAt = max(minSweep, 2*len(t.m))
	}
	t.m[key] = memLease{owner: owner, expires: expires}
	return true
}

// release frees key's lease if owner holds it.
func (t *leaseTable) release(key [sha256.Size]byte, owner string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l, ok := t.m[key]; ok && l.owner == owner {
		delete(t.m, key)
	}
}

// cleanup drops the leases expired at now and returns how many.
func (t *leaseTable) cleanup(now int64) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sweep(now)
}

func (t *leaseTable) sweep(now int64) int64 {
	var n int64
	for k, l := range t.m {
		if l.expires <= now {
			delete(t.m, k)
			n++
		}
	}
	return n
}
