package pgstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/storetest"
	"github.com/claimgate/claimgate/internal/testutil"
)

// TestServerRestartRecovers stops PostgreSQL under an open store: calls
// fail with an error, promptly, and write nothing; once the server is back
// the same *DB works again without being reopened, and what was written
// before the restart is still there.
//
// It restarts the shared test server, so it must not run beside other
// tests that use it (scripts/test.sh runs packages one at a time).
func TestServerRestartRecovers(t *testing.T) {
	env := testutil.PostgresEnv(t, "CLAIMGATE_TEST_PG_DATA", "CLAIMGATE_TEST_PG_BIN", "CLAIMGATE_TEST_PG_OS_USER")
	ctx := context.Background()
	s := openT(t, freshDSN(t), Options{Key: storetest.Key(), MaxConns: 4})
	exp := time.Now().Add(time.Hour)
	if fresh, err := s.UseCode(ctx, "alice", "f1", "before", exp); err != nil || !fresh {
		t.Fatalf("UseCode before the restart = %v, %v", fresh, err)
	}
	if err := s.CreateSession(ctx, "sid-1", []byte("data"), exp); err != nil {
		t.Fatal(err)
	}
	// Fill the pool with idle connections that the stop will kill.
	warm(t, s, 4)

	started := false
	t.Cleanup(func() {
		if !started {
			testutil.PGCtl(t, env, "-l", filepath.Join(filepath.Dir(env["CLAIMGATE_TEST_PG_DATA"]), "postgres.log"), "start")
		}
	})
	testutil.PGCtl(t, env, "-m", "fast", "stop")

	for i := range 3 {
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		t0 := time.Now()
		fresh, err := s.UseCode(cctx, "alice", "f1", "during", exp)
		cancel()
		if err == nil {
			t.Fatalf("UseCode %d with the server down = %v, nil error", i, fresh)
		}
		if d := time.Since(t0); d > 10*time.Second {
			t.Errorf("UseCode %d took %v to fail", i, d)
		}
	}
	if _, _, _, err := s.GetSession(ctx, "sid-1", time.Now()); err == nil {
		t.Fatal("GetSession with the server down: nil error")
	}

	testutil.PGCtl(t, env, "-l", filepath.Join(filepath.Dir(env["CLAIMGATE_TEST_PG_DATA"]), "postgres.log"), "start")
	started = true

	// The first calls may still meet a connection that died with the old
	// server; within a few seconds they must work.
	var fresh bool
	var err error
	deadline := time.Now().Add(30 * time.Second)
	for {
		fresh, err = s.UseCode(ctx, "alice", "f1", "during", exp)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("UseCode after the restart: %v", err)
	}
	if !fresh {
		t.Fatal("a UseCode that failed during the outage had written its record")
	}
	if fresh, err := s.UseCode(ctx, "alice", "f1", "before", exp); err != nil || fresh {
		t.Fatalf("the code used before the restart: fresh = %v, %v (want false: replay refused)", fresh, err)
	}
	data, _, found, err := s.GetSession(ctx, "sid-1", time.Now())
	if err != nil || !found || string(data) != "data" {
		t.Fatalf("GetSession after the restart = %q, %v, %v", data, found, err)
	}
	// Every pooled connection works again, not just one.
	warm(t, s, 4)
}

// warm runs n concurrent transactions so the pool holds n connections.
func warm(t *testing.T, s *DB, n int) {
	t.Helper()
	errs := make(chan error, n)
	for range n {
		go func() {
			errs <- s.tx(context.Background(), func(tx pgx.Tx) error {
				_, err := tx.Exec(context.Background(), `SELECT pg_sleep(0.05)`)
				return err
			})
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("warm: %v", err)
		}
	}
}

// TestPoolLimit: with MaxConns 2, ten attempts blocked inside the
// database hold at most two server connections; the others wait for a
// connection instead of failing, and every one is counted exactly once.
func TestPoolLimit(t *testing.T) {
	ctx := context.Background()
	dsn := freshDSN(t)
	app := fmt.Sprintf("claimgate-pool-%d", os.Getpid())
	s := openT(t, dsn+"&application_name="+app, Options{Key: storetest.Key(), MaxConns: 2})
	if got := s.pool.Config().MaxConns; got != 2 {
		t.Fatalf("pool MaxConns = %d, want 2", got)
	}
	if d := openT(t, dsn, Options{Key: storetest.Key()}); d.pool.Config().MaxConns != DefaultMaxConns {
		t.Fatalf("default MaxConns = %d, want %d", d.pool.Config().MaxConns, DefaultMaxConns)
	}

	// Another session holds the counter's advisory lock, so every
	// TakeAttempts waits inside its transaction, holding a connection.
	holder, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	htx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer htx.Rollback(ctx)
	if err := lockKeys(ctx, htx, "pair:alice"); err != nil {
		t.Fatal(err)
	}
	const n = 10
	now := time.Now()
	results := make(chan error, n)
	for range n {
		go func() {
			_, refused, err := s.TakeAttempts(ctx, []store.AttemptCounter{{Key: "pair:alice", LockKey: "pair:alice", Limit: 100}},
				now, time.Hour)
			if err == nil && refused != -1 {
				err = fmt.Errorf("refused %d", refused)
			}
			results <- err
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.pool.Stat().AcquiredConns() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("pool did not fill: %d acquired", s.pool.Stat().AcquiredConns())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // give a pool that overshoots the time to do so
	if len(results) != 0 {
		t.Fatalf("an attempt finished (%v) while the lock was held: it did not wait", <-results)
	}
	var server int
	if err := holder.QueryRow(ctx, `SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&server); err != nil {
		t.Fatal(err)
	}
	if server != 2 || s.pool.Stat().TotalConns() != 2 {
		t.Fatalf("server connections = %d, pool total = %d; want 2 and 2", server, s.pool.Stat().TotalConns())
	}
	if err := htx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-results; err != nil {
			t.Fatalf("TakeAttempts waiting for a connection: %v", err)
		}
	}
	var count int
	if err := holder.QueryRow(ctx, `SELECT count FROM failures WHERE lock_key = 'pair:alice'`).Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Fatalf("count = %d, want %d", count, n)
	}
}
