package pgstore

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/claimgate/claimgate/internal/store"
)

// TestStatementTimeout: every connection has a statement_timeout, by
// default DefaultStatementTimeout, so a statement stuck at the server
// fails (SQLSTATE 57014) instead of hanging its request; a DSN that sets
// one keeps it.
func TestStatementTimeout(t *testing.T) {
	ctx := context.Background()
	dsn := freshDSN(t)
	var got string
	if err := openT(t, dsn, Options{}).pool.QueryRow(ctx, `SHOW statement_timeout`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "5s" {
		t.Fatalf("default statement_timeout %q, want 5s", got)
	}
	short := openT(t, dsn, Options{StatementTimeout: 50 * time.Millisecond})
	_, err := short.pool.Exec(ctx, `SELECT pg_sleep(5)`)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" {
		t.Fatalf("a statement past the timeout: %v, want SQLSTATE 57014", err)
	}
	if err := openT(t, dsn+"&statement_timeout=7000", Options{}).pool.QueryRow(ctx, `SHOW statement_timeout`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "7s" {
		t.Fatalf("statement_timeout with the DSN's 7000: %q", got)
	}
}

// TestLeaseAcquireTimeout: with every pooled connection busy, a lease call
// fails after AcquireTimeout instead of waiting for a connection as long
// as its caller's context allows (here: for ever).
func TestLeaseAcquireTimeout(t *testing.T) {
	ctx := context.Background()
	s := openT(t, freshDSN(t), Options{MaxConns: 1, AcquireTimeout: 50 * time.Millisecond})
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := s.TakeLease(ctx, "k", "a", time.Now(), time.Minute); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("TakeLease with the pool exhausted: %v, want a deadline error", err)
	}
	if err := s.ReleaseLease(ctx, "k", "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ReleaseLease with the pool exhausted: %v, want a deadline error", err)
	}
}

// TestLockersOnPostgresExclude: store.Locker over two handles of one
// database, as two instances have: of 40 concurrent holders of one key,
// never two at once, and every one gets in.
func TestLockersOnPostgresExclude(t *testing.T) {
	dsn := freshDSN(t)
	h := [2]*DB{openT(t, dsn, Options{}), openT(t, dsn, Options{})}
	ls := [2]*store.Locker{store.NewLocker(h[0], store.LockerOptions{}), store.NewLocker(h[1], store.LockerOptions{})}
	const n = 40
	var inside, most, entered atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, release, err := ls[i%2].Lock(context.Background(), "user\x00alice")
			if err != nil {
				t.Error(err)
				return
			}
			c := inside.Add(1)
			for m := most.Load(); c > m && !most.CompareAndSwap(m, c); m = most.Load() {
			}
			entered.Add(1)
			time.Sleep(500 * time.Microsecond)
			inside.Add(-1)
			release()
		}()
	}
	close(start)
	wg.Wait()
	if m, e := most.Load(), entered.Load(); m != 1 || e != n {
		t.Fatalf("%d holders at once, %d of %d got in; want 1 and all", m, e, n)
	}
}
