package sqlitestore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// The failures of a serving DB's attempts in flight (memattempts.go):
// written when known, queued while the file cannot take them, and what is
// still in flight written at Close.

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
	return c.inTx(func(c wconn) error {
		for _, k := range ks {
			start := k.at - k.window
			for _, key := range k.keys {
				if _, err := c.exec(recordFailureSQL, key, k.at, start, start); err != nil {
					return err
				}
			}
		}
		return nil
	})
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
