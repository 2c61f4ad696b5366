package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

// RecordFailure is one upsert with RETURNING, so concurrent failures (from
// this process or another) each see a distinct count.
func (s *DB) RecordFailure(ctx context.Context, key string, now time.Time, window time.Duration) (int, error) {
	start := unixNano(now.Add(-window))
	var count int
	err := s.write(ctx, durable, func(c wconn) error {
		return c.queryRow(recordFailureSQL+` RETURNING count`, key, unixNano(now), start, start).Scan(&count)
	})
	if err != nil {
		return 0, fmt.Errorf("store: record failure: %w", err)
	}
	if s.attempts != nil {
		// The count includes the attempts in flight, as where the file
		// holds them.
		count += s.attempts.inFlight(key, unixNano(now))
	}
	return count, nil
}

// recordFailureSQL counts one failure of key (?1) at ?2 in the window
// starting after ?3 (= ?4): a count whose window has passed starts again.
const recordFailureSQL = `INSERT INTO failures (lock_key, count, window_start) VALUES (?, 1, ?)
		ON CONFLICT (lock_key) DO UPDATE SET
			count = CASE WHEN failures.window_start <= ? THEN 1 ELSE failures.count + 1 END,
			window_start = CASE WHEN failures.window_start <= ? THEN excluded.window_start ELSE failures.window_start END`

// ResetFailures forgets key's failure count. Relaxed: a reset undone by a
// power cut leaves the count higher, the safe side.
func (s *DB) ResetFailures(ctx context.Context, key string) error {
	if _, err := s.exec(ctx, relaxed, `DELETE FROM failures WHERE lock_key = ?`, key); err != nil {
		return fmt.Errorf("store: reset failures: %w", err)
	}
	return nil
}

// SetLock creates or replaces key's lock record.
func (s *DB) SetLock(ctx context.Context, key string, until time.Time, level int) error {
	_, err := s.exec(ctx, durable, `INSERT INTO locks (lock_key, until_at, level) VALUES (?, ?, ?)
		ON CONFLICT (lock_key) DO UPDATE SET until_at = excluded.until_at, level = excluded.level`,
		key, unixNano(until), level)
	if err != nil {
		return fmt.Errorf("store: set lock: %w", err)
	}
	return nil
}

// Lock returns key's lock record, expired or not; zero values when absent.
func (s *DB) Lock(ctx context.Context, key string) (time.Time, int, error) {
	var until int64
	var level int
	err := s.r.queryRow(ctx, `SELECT until_at, level FROM locks WHERE lock_key = ?`, key).Scan(&until, &level)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, 0, nil
	}
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("store: lock: %w", err)
	}
	return fromNano(until), level, nil
}

// LockRecords reads the records of keys in one statement.
func (s *DB) LockRecords(ctx context.Context, keys []string) ([]store.LockEntry, error) {
	if len(keys) == 0 {
		return []store.LockEntry{}, nil
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	q := `SELECT lock_key, until_at, level FROM locks WHERE lock_key IN (?` + strings.Repeat(", ?", len(keys)-1) + `)`
	rows, err := s.r.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: lock records: %w", err)
	}
	defer rows.Close()
	out, err := store.ScanLockRecords(keys, rows)
	if err != nil {
		return nil, fmt.Errorf("store: lock records: %w", err)
	}
	return out, nil
}

// Locks lists the locks in force at now, soonest to expire first.
func (s *DB) Locks(ctx context.Context, now time.Time) ([]store.LockEntry, error) {
	rows, err := s.r.query(ctx, `SELECT lock_key, until_at, level FROM locks WHERE until_at > ? ORDER BY until_at, lock_key`,
		unixNano(now))
	if err != nil {
		return nil, fmt.Errorf("store: locks: %w", err)
	}
	defer rows.Close()
	var out []store.LockEntry
	for rows.Next() {
		var e store.LockEntry
		var until int64
		if err := rows.Scan(&e.Key, &until, &e.Level); err != nil {
			return nil, err
		}
		e.Until = fromNano(until)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Unlock deletes key's lock record and failure count.
func (s *DB) Unlock(ctx context.Context, key string) error {
	return s.writeTx(ctx, durable, func(c wconn) error {
		if _, err := c.exec(`DELETE FROM locks WHERE lock_key = ?`, key); err != nil {
			return err
		}
		_, err := c.exec(`DELETE FROM failures WHERE lock_key = ?`, key)
		return err
	})
}

// RecordSuccess is Unlock and SetLock in one relaxed transaction.
func (s *DB) RecordSuccess(ctx context.Context, forget, mark string, markUntil time.Time) error {
	err := s.writeTx(ctx, relaxed, func(c wconn) error {
		if _, err := c.exec(`DELETE FROM locks WHERE lock_key = ?`, forget); err != nil {
			return err
		}
		if _, err := c.exec(`DELETE FROM failures WHERE lock_key = ?`, forget); err != nil {
			return err
		}
		if mark == "" {
			return nil
		}
		_, err := c.exec(`INSERT INTO locks (lock_key, until_at, level) VALUES (?, ?, 0)
			ON CONFLICT (lock_key) DO UPDATE SET until_at = excluded.until_at, level = excluded.level`,
			mark, unixNano(markUntil))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: record success: %w", err)
	}
	return nil
}

// UnlockPrefix compares with substr rather than LIKE so user names holding
// '%' or '_' cannot widen the match.
func (s *DB) UnlockPrefix(ctx context.Context, prefix string) (int64, error) {
	if prefix == "" {
		return 0, errors.New("store: unlock prefix must not be empty")
	}
	var total int64
	err := s.writeTx(ctx, durable, func(c wconn) error {
		total = 0
		for _, q := range []string{
			`DELETE FROM locks WHERE substr(lock_key, 1, length(?)) = ?`,
			`DELETE FROM failures WHERE substr(lock_key, 1, length(?)) = ?`,
		} {
			res, err := c.exec(q, prefix, prefix)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: unlock prefix: %w", err)
	}
	return total, nil
}

// takeSQL is RecordFailure's upsert with two guards, in one statement so
// that two processes cannot both take the last attempt: nothing is counted
// while lockKey's lock is in force (the lock and the reset of the count are
// two writes, and an attempt between them must not see a fresh count), and
// the count stops at limit within the window (RETURNING then yields
// nothing).
const takeSQL = `INSERT INTO failures (lock_key, count, window_start)
		SELECT ?, 1, ? WHERE NOT EXISTS (SELECT 1 FROM locks WHERE lock_key = ? AND until_at > ?)
		ON CONFLICT (lock_key) DO UPDATE SET
			count = CASE WHEN failures.window_start <= ? THEN 1 ELSE failures.count + 1 END,
			window_start = CASE WHEN failures.window_start <= ? THEN excluded.window_start ELSE failures.window_start END
		WHERE failures.window_start <= ? OR failures.count < ?
		RETURNING count`

// peekSQL is takeSQL's guards without the count: the count within the
// window (0 once the window has passed), and whether lockKey is locked.
const peekSQL = `SELECT COALESCE((SELECT count FROM failures WHERE lock_key = ? AND window_start > ?), 0),
		EXISTS (SELECT 1 FROM locks WHERE lock_key = ? AND until_at > ?)`

func takeOne(w wconn, c store.AttemptCounter, now time.Time, window time.Duration) (int, bool, error) {
	if c.Limit < 1 {
		return 0, false, nil
	}
	start, at := unixNano(now.Add(-window)), unixNano(now)
	if c.Peek {
		var count int
		var locked bool
		if err := w.queryRow(peekSQL, c.Key, start, c.LockKey, at).Scan(&count, &locked); err != nil {
			return 0, false, err
		}
		return count, !locked && count < c.Limit, nil
	}
	var count int
	err := w.queryRow(takeSQL, c.Key, at, c.LockKey, at, start, start, start, c.Limit).Scan(&count)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return count, true, nil
}

// TakeAttempts takes one attempt in every counter, all or none, in one
// transaction: one commit for an attempt however many limits apply. On a
// serving DB the attempt is held in memory instead (memattempts.go).
func (s *DB) TakeAttempts(ctx context.Context, cs []store.AttemptCounter, now time.Time, window time.Duration) ([]int, int, error) {
	if s.attempts != nil {
		return s.takeInMemory(ctx, cs, now, window)
	}
	counts := make([]int, len(cs))
	refused := -1
	errRefused := errors.New("refused")
	err := s.writeTx(ctx, durable, func(w wconn) error {
		for i, c := range cs {
			n, ok, err := takeOne(w, c, now, window)
			if err != nil {
				return err
			}
			if !ok {
				refused = i
				return errRefused
			}
			counts[i] = n
		}
		return nil
	})
	if errors.Is(err, errRefused) {
		return nil, refused, nil
	}
	if err != nil {
		return nil, -1, fmt.Errorf("store: take attempts: %w", err)
	}
	return counts, -1, nil
}

// ReturnAttempts decrements each key's count, never below zero, in one
// statement. Relaxed: a return undone by a power cut leaves the count
// higher, the safe side.
func (s *DB) ReturnAttempts(ctx context.Context, keys []string, at time.Time) error {
	if len(keys) == 0 {
		return nil
	}
	if s.attempts != nil {
		s.returnInMemory(keys, unixNano(at))
		return nil
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	q := `UPDATE failures SET count = count - 1 WHERE count > 0 AND lock_key IN (?` + strings.Repeat(", ?", len(keys)-1) + `)`
	if _, err := s.exec(ctx, relaxed, q, args...); err != nil {
		return fmt.Errorf("store: return attempts: %w", err)
	}
	return nil
}
