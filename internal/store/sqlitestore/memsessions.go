package sqlitestore

import (
	"crypto/sha256"
	"sync"
)

// The session cache's bounds: how many rows, how many bytes of them in
// all, and the largest row it keeps. A session not in it is read from the
// file. A sign-in's session is 1–3 kB sealed; a larger one (a long wctx,
// many groups) is read from the file, so a flood of sign-in requests
// carrying 8 KiB of wctx each cannot fill memory with them.
const (
	maxCachedSessions = 4096
	maxCachedBytes    = 8 << 20
	maxCachedRow      = 4 << 10
)

// sessionCache is, with Options.Serve, the sessions this DB wrote, as their
// rows (the sealed blob, the version and the expiry), so that reading a
// session back costs no SQL. A sign-in reads its session on every request
// (five times) and writes it twice.
//
// It is written through: every session write goes to the file as before
// (same statements, same durability), and the cache is changed in the same
// writer turn, after the write succeeded, so two writers of one session
// leave it as they leave the file. It is filled by writes only, never by
// reads: a read racing a write could put back a version the write had
// just replaced. Only this DB writes sessions on the file while it holds
// the serve lock (the admin CLI does not touch them), so a cached row is
// the row in the file. Any failed write drops the session from the cache,
// and the next read asks the file.
type sessionCache struct {
	// order is held by a session write from its statement to its change
	// of the cache, so that writes through two handles of the process
	// (each with a writer of its own) change the cache in the order they
	// changed the file.
	order sync.Mutex
	mu    sync.Mutex // guards m and bytes
	m     map[[sha256.Size]byte]sessionRow
	bytes int // the blobs' sizes in all
}

// sessionRow is one row of the sessions table.
type sessionRow struct {
	blob    []byte // as stored: sealed when the DB has a key
	version int64
	expires int64 // Unix nanoseconds
}

func newSessionCache() *sessionCache {
	return &sessionCache{m: map[[sha256.Size]byte]sessionRow{}}
}

// get returns the cached row of a session unexpired at now.
func (c *sessionCache) get(h []byte, now int64) (sessionRow, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.m[[sha256.Size]byte(h)]
	if !ok || r.expires <= now {
		return sessionRow{}, false
	}
	return r, true
}

// put records a session's row as just written. When the cache is full one
// entry goes, whichever the map yields first: it is read from the file
// next time.
func (c *sessionCache) put(h []byte, r sessionRow) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := [sha256.Size]byte(h)
	c.remove(k)
	if len(r.blob) > maxCachedRow {
		return
	}
	for len(c.m) >= maxCachedSessions || c.bytes+len(r.blob) > maxCachedBytes {
		for old := range c.m {
			c.remove(old)
			break
		}
	}
	c.m[k] = r
	c.bytes += len(r.blob)
}

// remove deletes k's entry, if any, under c.mu.
func (c *sessionCache) remove(k [sha256.Size]byte) {
	if r, ok := c.m[k]; ok {
		c.bytes -= len(r.blob)
		delete(c.m, k)
	}
}

// drop forgets a session: deleted, rotated away, or written with an error.
func (c *sessionCache) drop(h []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.remove([sha256.Size]byte(h))
}

// expire drops the sessions expired at now (Cleanup).
func (c *sessionCache) expire(now int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, r := range c.m {
		if r.expires <= now {
			c.remove(k)
		}
	}
}
