package sqlitestore

import (
	"context"
	"errors"
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
// or a return of it) and reports whether there was one. If it is gone
// (older than its window), no other attempt's place is taken: attempts
// taken at the same instant are alike, the others are not.
func (t *attemptTable) settle(key string, at int64) bool {
	fs := t.m[key]
	i := slices.IndexFunc(fs, func(f flight) bool { return f.at == at })
	if i < 0 {
		return false
	}
	fs = slices.Delete(fs, i, i+1)
	if len(fs) == 0 {
		delete(t.m, key)
	} else {
		t.m[key] = fs
	}
	return true
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

// KeepAttempts settles attempts taken at now as failures. On a serving DB
// that is the write TakeAttempts did not do: each key's failure counted in
// the file (RecordFailure's upsert, all in one durable commit), and the
// attempts leave the table once it is committed, in the same writer turn
// and under the table's order (see takeInMemory). When the write fails the
// attempts stay counted in memory and the failure is queued for the next
// take (attemptTable). Elsewhere TakeAttempts counted them already and
// there is nothing to do.
func (s *DB) KeepAttempts(ctx context.Context, keys []string, now time.Time, window time.Duration) error {
	if s.attempts == nil || len(keys) == 0 {
		return nil
	}
	k := kept{keys: keys, at: unixNano(now), window: int64(window)}
	if err := s.writeKept(ctx, []kept{k}); err != nil {
		if !errors.Is(err, errClosed) && !s.queued(k) {
			// The writer's turn never began (the caller gave up
			// waiting for it): queue it now.
			t := s.attempts
			t.mu.Lock()
			t.unwritten = append(t.unwritten, k)
			t.mu.Unlock()
		}
		return fmt.Errorf("store: keep attempts: %w", err)
	}
	return nil
}

// queued reports whether k is in the queue of unwritten failures.
func (s *DB) queued(k kept) bool {
	t := s.attempts
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.ContainsFunc(t.unwritten, func(u kept) bool { return u.at == k.at && slices.Equal(u.keys, k.keys) })
}

// writeUnwritten writes the queued failures, if any. Within
// retryUnwritten of a failed write it fails at once, before and again in
// the writer's turn, rather than try: while the file cannot be written,
// every take would otherwise wait out the busy timeout in that turn, one
// after the other.
func (s *DB) writeUnwritten(ctx context.Context) error {
	t := s.attempts
	t.mu.Lock()
	n, err := len(t.unwritten), t.failingFast()
	t.mu.Unlock()
	if n == 0 {
		return nil
	}
	if err != nil {
		return err
	}
	return s.writeKept(ctx, nil)
}

// retryUnwritten is how long after a failed write of failures the queue's
// writers fail without trying.
const retryUnwritten = time.Second

// failingFast is the error of a write of the queue within retryUnwritten
// of a failed write, under t.mu.
func (t *attemptTable) failingFast() error {
	if !t.failedAt.IsZero() && time.Since(t.failedAt) < retryUnwritten {
		return errors.New("store: a failure could not be written a moment ago")
	}
	return nil
}

// writeKept counts ks as failures in the file in one durable commit and
// then settles their attempts in memory; ks nil means the queue of
// unwritten failures, taken in the writer's turn (so two writers of the
// queue cannot both write it) and emptied by the commit. After Close
// (keepInFlight) it writes nothing: the attempts were written then. A
// failed write (not one the caller gave up) starts retryUnwritten; a
// successful one ends it.
func (s *DB) writeKept(ctx context.Context, ks []kept) error {
	t := s.attempts
	queue := ks == nil
	return s.w.hold(ctx, durable, func(c wconn) error {
		t.order.Lock()
		defer t.order.Unlock()
		t.mu.Lock()
		closed, fast := t.closed, error(nil)
		if queue {
			ks, fast = slices.Clone(t.unwritten), t.failingFast()
		}
		t.mu.Unlock()
		switch {
		case closed:
			return errClosed
		case fast != nil:
			return fast
		case len(ks) == 0:
			return nil
		}
		err := writeFailures(c, ks)
		t.mu.Lock()
		defer t.mu.Unlock()
		if err != nil {
			if ctx.Err() == nil {
				t.failedAt = time.Now()
			}
			if !queue {
				// Queued under the same hold as failedAt, so no take
				// sees the failed write without the failure queued.
				t.unwritten = append(t.unwritten, ks...)
			}
			return err
		}
		t.failedAt = time.Time{}
		if queue {
			t.unwritten = slices.Delete(t.unwritten, 0, len(ks))
		}
		for _, k := range ks {
			for _, key := range k.keys {
				t.settle(key, k.at)
			}
		}
		return nil
	})
}

// writeFailures counts ks as failures in one transaction on c.
func writeFailures(c wconn, ks []kept) error {
	if _, err := c.exec(`BEGIN IMMEDIATE`); err != nil {
		return err
	}
	for _, k := range ks {
		start := k.at - k.window
		for _, key := range k.keys {
			if _, err := c.exec(recordFailureSQL, key, k.at, start, start); err != nil {
				c.rollback()
				return err
			}
		}
	}
	if _, err := c.exec(`COMMIT`); err != nil {
		c.rollback()
		return err
	}
	return nil
}

// keepInFlight writes, at Close, every attempt still in flight (and so
// every queued failure, whose attempts are in flight too) as a failure in
// one durable commit: a check that had not ended when the server stopped
// counts, as it did when every take was a write. Counters of attempts in
// flight only are not written: their attempts are over with the process.
// It runs in the writer's turn under the table's order, as a keep does,
// and closes the table: a keep still running in a handler after it finds
// nothing to write twice (errClosed).
func (s *DB) keepInFlight(ctx context.Context) error {
	t := s.attempts
	err := s.w.hold(ctx, durable, func(c wconn) error {
		t.order.Lock()
		defer t.order.Unlock()
		t.mu.Lock()
		var ks []kept
		for key, fs := range t.m {
			for _, f := range fs {
				if !f.only {
					ks = append(ks, kept{keys: []string{key}, at: f.at, window: f.window})
				}
			}
		}
		t.m, t.unwritten, t.closed = map[string][]flight{}, nil, true
		t.mu.Unlock()
		if len(ks) == 0 {
			return nil
		}
		return writeFailures(c, ks)
	})
	if err != nil {
		return fmt.Errorf("store: close: attempts in flight: %w", err)
	}
	return nil
}
