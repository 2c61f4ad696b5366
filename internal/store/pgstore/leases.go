package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/claimgate/claimgate/internal/store"
)

// TakeLease is one upsert whose update applies only when the lease has
// expired or is owner's already. PostgreSQL locks the conflicting row and
// evaluates the condition on its latest version, so of racing instances
// exactly one sees a row written.
//
// Expiry is the server's clock_timestamp(), and now is ignored: instances
// behind a load balancer may disagree about the time by seconds, and a
// lease whose expiry each judged by its own clock could be held by two at
// once (or by none for too long). One clock, the database's, decides.
func (s *DB) TakeLease(ctx context.Context, key, owner string, _ time.Time, ttl time.Duration) (bool, error) {
	if err := store.CheckLease(owner, ttl); err != nil {
		return false, err
	}
	// Whole microseconds, PostgreSQL's resolution, and never zero.
	us := max(ttl.Microseconds(), 1)
	conn, err := s.acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("store: take lease: %w", err)
	}
	defer conn.Release()
	tag, err := conn.Exec(ctx, `INSERT INTO leases (key_hash, owner, expires_at)
		VALUES ($1, $2, clock_timestamp() + $3 * interval '1 microsecond')
		ON CONFLICT (key_hash) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
			WHERE leases.expires_at <= clock_timestamp() OR leases.owner = excluded.owner`,
		store.HashID(key), owner, us)
	if err != nil {
		return false, fmt.Errorf("store: take lease: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseLease deletes key's lease only if owner holds it.
func (s *DB) ReleaseLease(ctx context.Context, key, owner string) error {
	conn, err := s.acquire(ctx)
	if err != nil {
		return fmt.Errorf("store: release lease: %w", err)
	}
	defer conn.Release()
	if _, err := s.relaxedExec(ctx, conn, `DELETE FROM leases WHERE key_hash = $1 AND owner = $2`, store.HashID(key), owner); err != nil {
		return fmt.Errorf("store: release lease: %w", err)
	}
	return nil
}

// acquire takes a pooled connection, waiting at most acquireTimeout (and
// ctx): with every connection busy or the server unreachable, a lease call
// must fail in bounded time, since a user's sign-ins wait for it.
func (s *DB) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	if s.acquireTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.acquireTimeout)
		defer cancel()
	}
	return s.pool.Acquire(ctx)
}

// cleanupLeases deletes the leases expired by the server's clock, the one
// TakeLease judges them by (not Cleanup's now).
func (s *DB) cleanupLeases(ctx context.Context) (int64, error) {
	tag, err := s.relaxedExec(ctx, s.pool, `DELETE FROM leases WHERE expires_at <= clock_timestamp()`)
	if err != nil {
		return 0, fmt.Errorf("store: cleanup: %w", err)
	}
	return tag.RowsAffected(), nil
}
