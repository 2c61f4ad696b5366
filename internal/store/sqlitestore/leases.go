package sqlitestore

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

// TakeLease, on a DB opened with Options.Serve, is the lease table in
// memory (memleases.go): the serve lock makes this DB the only one taking
// leases on the file, so a lease needs no write, and a sign-in's four
// lease writes no longer queue at the single writer.
//
// Otherwise it is one upsert whose update applies only when the lease has
// expired at now or is owner's already; SQLite runs it under the file's
// write lock, so of racing processes exactly one sees a row changed.
// Every process on one file shares the machine's clock, so now decides.
// Relaxed: a power cut that could undo a lease also ends every process
// that held one. Such a DB first takes the serve lock shared, so it never
// takes leases beside a serving DB that would not see them.
func (s *DB) TakeLease(ctx context.Context, key, owner string, now time.Time, ttl time.Duration) (bool, error) {
	if err := store.CheckLease(owner, ttl); err != nil {
		return false, err
	}
	if s.leases != nil {
		return s.leases.take(sha256.Sum256([]byte(key)), owner, unixNano(now), unixNano(now.Add(ttl))), nil
	}
	if err := s.shareLeaseLock(); err != nil {
		return false, err
	}
	res, err := s.exec(ctx, relaxed, `INSERT INTO leases (key_hash, owner, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (key_hash) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
			WHERE leases.expires_at <= ? OR leases.owner = excluded.owner`,
		store.HashID(key), owner, unixNano(now.Add(ttl)), unixNano(now))
	if err != nil {
		return false, fmt.Errorf("store: take lease: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: take lease: %w", err)
	}
	return n == 1, nil
}

// ReleaseLease frees key's lease only if owner holds it: in memory on a
// serving DB, otherwise one conditional delete.
func (s *DB) ReleaseLease(ctx context.Context, key, owner string) error {
	if s.leases != nil {
		s.leases.release(sha256.Sum256([]byte(key)), owner)
		return nil
	}
	if _, err := s.exec(ctx, relaxed, `DELETE FROM leases WHERE key_hash = ? AND owner = ?`, store.HashID(key), owner); err != nil {
		return fmt.Errorf("store: release lease: %w", err)
	}
	return nil
}
