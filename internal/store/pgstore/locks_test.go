package pgstore

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/claimgate/claimgate/internal/store/storetest"
)

// TestSetLockWaitsForAttempts: SetLock takes the same per-key advisory
// lock as TakeAttempts, so a lock is never set in the middle of an
// attempt that began before it could see the lock (READ COMMITTED would
// otherwise let that attempt count after the lockout reset the count).
func TestSetLockWaitsForAttempts(t *testing.T) {
	ctx := context.Background()
	dsn := freshDSN(t)
	s := openT(t, dsn, Options{Key: storetest.Key()})
	holder, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if err := lockKeys(ctx, tx, "user:alice"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.SetLock(ctx, "user:alice", time.Now().Add(time.Hour), 1) }()
	select {
	case err := <-done:
		t.Fatalf("SetLock finished (%v) while an attempt on the key was in progress", err)
	case <-time.After(300 * time.Millisecond):
	}
	tx.Rollback(ctx)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("SetLock still waiting after the attempt ended")
	}
}
