package sqlitestore

import (
	"context"
	"fmt"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

// TakeLease is one upsert whose update applies only when the lease has
// expired at now or is owner's already; SQLite runs it under the file's
// write lock, so of racing processes exactly one sees a row changed.
// Every process on one file shares the machine's clock, so now decides.
// Relaxed: a power cut that could undo a lease also ends every process
// that held one.
func (s *DB) TakeLease(ctx context.Context, key, owner string, now time.Time, ttl time.Duration) (bool, error) {
	if err := store.CheckLease(owner, ttl); err != nil {
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

// ReleaseLease deletes key's lease only if owner holds it.
func (s *DB) ReleaseLease(ctx context.Context, key, owner string) error {
	if _, err := s.exec(ctx, relaxed, `DELETE FROM leases WHERE key_hash = ? AND owner = ?`, store.HashID(key), owner); err != nil {
		return fmt.Errorf("store: release lease: %w", err)
	}
	return nil
}
