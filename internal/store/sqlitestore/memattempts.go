package sqlitestore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

// attemptTable is, with Options.Serve, the attempts being checked: taken
// with TakeAttempts and not yet settled. Like the leases (memleases.go),
// they need no write while the serve lock says that no other process
// takes attempts on the file. What the file holds is the settled
// failures (KeepAttempts) and the locks; an attempt counts against a
// limit as those plus the ones in flight here. A right credential then
// costs no write at all (ReturnAttempts forgets it), and a wrong one one
// durable write when it is known to be wrong, as before.
//
// What a crash loses is the attempts that were being checked at that
// moment, bounded by the sign-in's admission and in-flight caps; their
// credentials were never answered, and every settled failure and lock is
// in the file.
//
// An attempt never settled (a caller that dies between take and settle)
// stops counting once it is older than its window, as the file's counts
// do, and a sweep like the lease table's drops such stale ones. Close
// writes the attempts still in flight as failures, as the file would have
// kept them counted: a clean shutdown loses none.
//
// A failure the file could not take (KeepAttempts failed: the disk, or
// the admin CLI holding the write lock too long) stays counted in memory
// and is queued; every later take writes the queue first and refuses to
// let anything be checked while it cannot, so a store that cannot count
// failures checks no credentials, as when every take was a write.
type attemptTable struct {
	// order is held by a take from its read of the file to its add, and
	// by a keep from its write to its settle, so that a take sees a kept
	// attempt in memory or in the file, never in both or neither, also
	// through a second handle of the process with a writer of its own.
	order sync.Mutex
	mu    sync.Mutex // guards the fields below
	// m is each counter key's attempts in flight: their take times and
	// windows (Unix nanoseconds).
	m       map[string][]flight
	sweepAt int
	// unwritten is the failures KeepAttempts could not write, in order;
	// their attempts are still in m. failedAt is when writing them last
	// failed.
	unwritten []kept
	failedAt  time.Time
	// closed: Close wrote what was in flight; nothing is written after.
	closed bool
}

// flight is one attempt in flight in one counter; only marks a counter of
// attempts in flight only (store.AttemptCounter.Flight), never kept.
type flight struct {
	at, window int64
	only       bool
}

// kept is one KeepAttempts call: its keys, failed at at within window.
type kept struct {
	keys       []string
	at, window int64
}

func newAttemptTable() *attemptTable {
	return &attemptTable{m: map[string][]flight{}, sweepAt: minSweep}
}

// live is how many of key's attempts in flight are within their window at
// now; the others are dropped.
func (t *attemptTable) live(key string, now int64) int {
	fs := slices.DeleteFunc(t.m[key], func(f flight) bool { return f.at+f.window <= now })
	if len(fs) == 0 {
		delete(t.m, key)
		return 0
	}
	t.m[key] = fs
	return len(fs)
}

// inFlight is live under the table's mutex.
func (t *attemptTable) inFlight(key string, now int64) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.live(key, now)
}

// add records one attempt in flight in key.
func (t *attemptTable) add(key string, now, window int64, only bool) {
	if len(t.m) >= t.sweepAt {
		for k := range t.m {
			t.live(k, now)
		}
		t.sweepAt = max(minSweep, 2*len(t.m))
	}
	t.m[key] = append(t.m[key], flight{at: now, window: window, only: only})
}

// settle forgets the one of key's attempts in flight taken at at (a keep
// or a return of it). If it is gone
// (older than its window), no other attempt's place is taken: attempts
// taken at the same instant are alike, the others are not.
func (t *attemptTable) settle(key string, at int64) {
	fs := t.m[key]
	i := slices.IndexFunc(fs, func(f flight) bool { return f.at == at })
	if i < 0 {
		return
	}
	fs = slices.Delete(fs, i, i+1)
	if len(fs) == 0 {
		delete(t.m, key)
	} else {
		t.m[key] = fs
	}
}

// takeInMemory is TakeAttempts on a serving DB: one read of the settled
// counts and the locks, compared with the limits together with the
// attempts in flight, and the attempt added to those; no write. It runs in
// the writer connection's turn (a read, not a commit) under the table's
// order, as KeepAttempts' commits do, so no two takes pass one limit. The
// failures not yet written are written first; while they cannot be,
// nothing is taken.
func (s *DB) takeInMemory(ctx context.Context, cs []store.AttemptCounter, now time.Time, window time.Duration) ([]int, int, error) {
	if err := s.writeUnwritten(ctx); err != nil {
		return nil, -1, fmt.Errorf("store: take attempts: earlier failures not yet written: %w", err)
	}
	counts := make([]int, len(cs))
	refused := -1
	t := s.attempts
	err := s.w.hold(ctx, asIs, func(c wconn) error {
		t.order.Lock()
		defer t.order.Unlock()
		fails, locked, err := counterState(c, cs, now, window)
		if err != nil {
			return err
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.closed {
			// Close wrote what was in flight: nothing more is
			// checked, since its failure could not be written.
			return errClosed
		}
		at, win := unixNano(now), int64(window)
		for i, c := range cs {
			if c.Limit < 1 || locked[c.LockKey] {
				refused = i
				return nil
			}
			n := fails[c.Key]
			if !c.Peek {
				n += t.live(c.Key, at)
			}
			if n >= c.Limit {
				refused = i
				return nil
			}
			counts[i] = n
			if !c.Peek {
				counts[i]++
			}
		}
		for _, c := range cs {
			if !c.Peek {
				t.add(c.Key, at, win, c.Flight)
			}
		}
		return nil
	})
	if err != nil {
		return nil, -1, fmt.Errorf("store: take attempts: %w", err)
	}
	if refused >= 0 {
		return nil, refused, nil
	}
	return counts, -1, nil
}

// counterState reads, in one statement, the settled failure count of each
// counter within the window and whether each lock key is locked at now.
func counterState(c wconn, cs []store.AttemptCounter, now time.Time, window time.Duration) (map[string]int, map[string]bool, error) {
	fails, locked := make(map[string]int, len(cs)), make(map[string]bool, len(cs))
	if len(cs) == 0 {
		return fails, locked, nil
	}
	args := make([]any, 0, 2+2*len(cs))
	args = append(args, unixNano(now.Add(-window)))
	for _, c := range cs {
		args = append(args, c.Key)
	}
	args = append(args, unixNano(now))
	for _, c := range cs {
		args = append(args, c.LockKey)
	}
	in := `(?` + strings.Repeat(", ?", len(cs)-1) + `)`
	rows, err := c.query(`SELECT 0, lock_key, count FROM failures WHERE window_start > ? AND lock_key IN `+in+`
		UNION ALL SELECT 1, lock_key, 0 FROM locks WHERE until_at > ? AND lock_key IN `+in, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var lock bool
		var key string
		var count int
		if err := rows.Scan(&lock, &key, &count); err != nil {
			return nil, nil, err
		}
		if lock {
			locked[key] = true
		} else {
			fails[key] = count
		}
	}
	return fails, locked, rows.Err()
}

// returnInMemory is ReturnAttempts on a serving DB: the attempts taken at
// at are forgotten; nothing is written, since the file never held them.
func (s *DB) returnInMemory(keys []string, at int64) {
	t := s.attempts
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		t.settle(k, at)
	}
}
