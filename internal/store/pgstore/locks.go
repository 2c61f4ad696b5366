package pgstore

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/claimgate/claimgate/internal/store"
)

// keyLockSpace is the first half of the two-int advisory locks taken per
// counter or lock key ("cglk"); PostgreSQL keeps the two-int key space
// apart from the 64-bit one the migration lock uses.
const keyLockSpace int32 = 0x63676c6b

// lockKeys takes a transaction-scoped advisory lock for each key, in one
// global order (by hash) so two transactions never wait for each other in
// a circle. A hash collision only makes two keys share a lock.
//
// Why: TakeAttempts must count nothing while a lock is in force, and the
// lockout policy sets the lock and resets the count in two writes. Under
// READ COMMITTED a statement that began before SetLock committed would not
// see the lock yet, yet could write after the reset. SetLock takes the
// same advisory lock, so an attempt runs either wholly before a lock is
// set or after it, and then sees it.
func lockKeys(ctx context.Context, tx pgx.Tx, keys ...string) error {
	ids := make([]int32, 0, len(keys))
	for _, k := range keys {
		h := fnv.New32a()
		h.Write([]byte(k))
		ids = append(ids, int32(h.Sum32()))
	}
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, keyLockSpace, id); err != nil {
			return err
		}
	}
	return nil
}

// RecordFailure is one upsert with RETURNING: concurrent failures, from
// any instance, each see a distinct count.
func (s *DB) RecordFailure(ctx context.Context, key string, now time.Time, window time.Duration) (int, error) {
	start := unixNano(now.Add(-window))
	var count int
	err := s.pool.QueryRow(ctx, `INSERT INTO failures (lock_key, count, window_start) VALUES ($1, 1, $2)
		ON CONFLICT (lock_key) DO UPDATE SET
			count = CASE WHEN failures.window_start <= $3 THEN 1 ELSE failures.count + 1 END,
			window_start = CASE WHEN failures.window_start <= $3 THEN excluded.window_start ELSE failures.window_start END
		RETURNING count`, key, unixNano(now), start).Scan(&count)
	if err != nil {
		return 0, fmt.Errorf("store: record failure: %w", err)
	}
	return count, nil
}

// ResetFailures forgets key's failure count.
func (s *DB) ResetFailures(ctx context.Context, key string) error {
	if _, err := s.relaxedExec(ctx, s.pool, `DELETE FROM failures WHERE lock_key = $1`, key); err != nil {
		return fmt.Errorf("store: reset failures: %w", err)
	}
	return nil
}

// SetLock creates or replaces key's lock record, under key's advisory lock
// (see lockKeys).
func (s *DB) SetLock(ctx context.Context, key string, until time.Time, level int) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockKeys(ctx, tx, key); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO locks (lock_key, until_at, level) VALUES ($1, $2, $3)
			ON CONFLICT (lock_key) DO UPDATE SET until_at = excluded.until_at, level = excluded.level`,
			key, unixNano(until), level)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: set lock: %w", err)
	}
	return nil
}

// Lock returns key's lock record, expired or not; zero values when absent.
func (s *DB) Lock(ctx context.Context, key string) (time.Time, int, error) {
	var until int64
	var level int
	err := s.pool.QueryRow(ctx, `SELECT until_at, level FROM locks WHERE lock_key = $1`, key).Scan(&until, &level)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, 0, nil
	}
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("store: lock: %w", err)
	}
	return fromNano(until), level, nil
}

// LockRecords reads the records of keys in one statement.
func (s *DB) LockRecords(ctx context.Context, keys []string) ([]store.LockEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT lock_key, until_at, level FROM locks WHERE lock_key = ANY($1)`, keys)
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
	rows, err := s.pool.Query(ctx, `SELECT lock_key, until_at, level FROM locks WHERE until_at > $1 ORDER BY until_at, lock_key`,
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
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: locks: %w", err)
	}
	return out, nil
}

// Unlock deletes key's lock record and failure count in one transaction.
func (s *DB) Unlock(ctx context.Context, key string) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM locks WHERE lock_key = $1`, key); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM failures WHERE lock_key = $1`, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: unlock: %w", err)
	}
	return nil
}

// RecordSuccess is Unlock and SetLock (under the keys' advisory locks, as
// SetLock) in one transaction with a relaxed commit.
func (s *DB) RecordSuccess(ctx context.Context, forget, mark string, markUntil time.Time) error {
	keys := []string{forget}
	if mark != "" {
		keys = append(keys, mark)
	}
	err := s.relaxedTx(ctx, func(tx pgx.Tx) error {
		// Both keys' advisory locks at once, in lockKeys' order.
		if err := lockKeys(ctx, tx, keys...); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM locks WHERE lock_key = $1`, forget); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM failures WHERE lock_key = $1`, forget); err != nil {
			return err
		}
		if mark == "" {
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO locks (lock_key, until_at, level) VALUES ($1, $2, 0)
			ON CONFLICT (lock_key) DO UPDATE SET until_at = excluded.until_at, level = excluded.level`,
			mark, unixNano(markUntil))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: record success: %w", err)
	}
	return nil
}

// UnlockPrefix compares with starts_with rather than LIKE so user names
// holding '%' or '_' cannot widen the match.
func (s *DB) UnlockPrefix(ctx context.Context, prefix string) (int64, error) {
	if prefix == "" {
		return 0, errors.New("store: unlock prefix must not be empty")
	}
	var total int64
	err := s.tx(ctx, func(tx pgx.Tx) error {
		total = 0
		for _, q := range []string{
			`DELETE FROM locks WHERE starts_with(lock_key, $1)`,
			`DELETE FROM failures WHERE starts_with(lock_key, $1)`,
		} {
			tag, err := tx.Exec(ctx, q, prefix)
			if err != nil {
				return err
			}
			total += tag.RowsAffected()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: unlock prefix: %w", err)
	}
	return total, nil
}

// takeSQL is RecordFailure's upsert with two guards: nothing is counted
// while the lock ($3) is in force at $4, and within the window the count
// stops at the limit ($6): the conflicting row is locked and the WHERE
// re-read on its newest version, so no two instances both take the last
// attempt (RETURNING then yields no row).
const takeSQL = `INSERT INTO failures (lock_key, count, window_start)
		SELECT $1::text, 1, $2::bigint WHERE NOT EXISTS (SELECT 1 FROM locks WHERE lock_key = $3 AND until_at > $4)
		ON CONFLICT (lock_key) DO UPDATE SET
			count = CASE WHEN failures.window_start <= $5 THEN 1 ELSE failures.count + 1 END,
			window_start = CASE WHEN failures.window_start <= $5 THEN excluded.window_start ELSE failures.window_start END
		WHERE failures.window_start <= $5 OR failures.count < $6
		RETURNING count`

// peekSQL is takeSQL's guards without the count: the count within the
// window (0 once it has passed), and whether the lock is in force.
const peekSQL = `SELECT COALESCE((SELECT count FROM failures WHERE lock_key = $1 AND window_start > $2), 0),
		EXISTS (SELECT 1 FROM locks WHERE lock_key = $3 AND until_at > $4)`

// TakeAttempts takes one attempt in every counter, all or none, in one
// transaction holding the advisory locks of every key involved.
func (s *DB) TakeAttempts(ctx context.Context, cs []store.AttemptCounter, now time.Time, window time.Duration) ([]int, int, error) {
	counts := make([]int, len(cs))
	refused := -1
	errRefused := errors.New("refused")
	keys := make([]string, 0, 2*len(cs))
	for _, c := range cs {
		keys = append(keys, c.Key, c.LockKey)
	}
	start, at := unixNano(now.Add(-window)), unixNano(now)
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockKeys(ctx, tx, keys...); err != nil {
			return err
		}
		for i, c := range cs {
			if c.Limit < 1 {
				refused = i
				return errRefused
			}
			var n int
			if c.Peek {
				var locked bool
				if err := tx.QueryRow(ctx, peekSQL, c.Key, start, c.LockKey, at).Scan(&n, &locked); err != nil {
					return err
				}
				if locked || n >= c.Limit {
					refused = i
					return errRefused
				}
				counts[i] = n
				continue
			}
			err := tx.QueryRow(ctx, takeSQL, c.Key, at, c.LockKey, at, start, c.Limit).Scan(&n)
			if errors.Is(err, pgx.ErrNoRows) {
				refused = i
				return errRefused
			}
			if err != nil {
				return err
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
// statement, under the keys' advisory locks so it cannot deadlock with a
// TakeAttempts on the same rows.
func (s *DB) ReturnAttempts(ctx context.Context, keys []string, _ time.Time) error {
	if len(keys) == 0 {
		return nil
	}
	err := s.relaxedTx(ctx, func(tx pgx.Tx) error {
		if err := lockKeys(ctx, tx, keys...); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE failures SET count = count - 1 WHERE count > 0 AND lock_key = ANY ($1)`, keys)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: return attempts: %w", err)
	}
	return nil
}

// KeepAttempts has nothing to do: TakeAttempts counted the attempts in
// the database already, where every instance sees them.
func (s *DB) KeepAttempts(context.Context, []string, time.Time, time.Duration) error { return nil }
