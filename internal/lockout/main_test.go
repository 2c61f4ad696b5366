package lockout

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store/sqlitestore"
)

// serveEnv set to 1 makes this test binary run on serving stores.
const serveEnv = "CLAIMGATE_LOCKOUT_TEST_SERVE"

// serveStore is whether the fixtures' SQLite store is opened as claimgate
// serve opens it (sqlitestore.Options.Serve: the attempts being checked
// held in memory, written only when they fail) rather than counting every
// attempt in the file, as PostgreSQL and every other SQLite open do.
var serveStore = os.Getenv(serveEnv) == "1"

// TestMain runs every test of the package on both kinds of store: the
// Limiter must hold its limits on each. The second run is this binary
// again, with the same flags, in a child process.
func TestMain(m *testing.M) {
	code := m.Run()
	if code != 0 || serveStore {
		os.Exit(code)
	}
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), serveEnv+"=1")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		os.Stderr.WriteString("lockout tests on a serving store: " + err.Error() + "\n")
		os.Exit(1)
	}
	os.Exit(0)
}

// TestFailuresOutliveARestart: on a serving store, which holds the
// attempts being checked in memory, a wrong credential is still counted
// after the server restarts (Fail keeps it in the file), and a right one
// left nothing behind.
func TestFailuresOutliveARestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lock.db")
	open := func() (*sqlitestore.DB, *Limiter) {
		db, err := sqlitestore.Open(ctx, path, sqlitestore.Options{Serve: true})
		if err != nil {
			t.Fatal(err)
		}
		l, err := New(db, DefaultPolicy())
		if err != nil {
			t.Fatal(err)
		}
		return db, l
	}
	db, l := open()
	for i, wrong := range []bool{true, false, true} {
		r, d, err := l.Reserve(ctx, "alice", addrA, KindPassword, start)
		if err != nil || !d.Allowed {
			t.Fatalf("attempt %d: %+v %v", i, d, err)
		}
		if wrong {
			_, err = l.Fail(ctx, r)
		} else {
			err = l.Pass(ctx, r)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, l = open()
	defer db.Close()
	r, _, err := l.Reserve(ctx, "alice", addrA, KindPassword, start)
	if err != nil || r == nil {
		t.Fatalf("after the restart: %v %v", r, err)
	}
	for _, h := range r.held {
		if h.count != 3 {
			t.Errorf("after a restart, counter %s at %d, want 3 (two wrong passwords and this attempt)", h.key, h.count)
		}
	}
}

// failingKeep is a store whose KeepAttempts fails, as a serving SQLite
// store's does when the file cannot be written.
type failingKeep struct{ *sqlitestore.DB }

func (failingKeep) KeepAttempts(context.Context, []string, time.Time, time.Duration) error {
	return errors.New("disk I/O error")
}

// TestFailLocksWhenKeepFails: a failure the store could not write still
// sets the locks it brings its counters to, from the counts Reserve took,
// and still gives back the familiar address's attempts in flight (found by
// review: Fail returned at the error, so no lock was set and each flight
// entry refused the office address until the window ended).
func TestFailLocksWhenKeepFails(t *testing.T) {
	f := newFixture(t, DefaultPolicy())
	l, err := New(failingKeep{f.db}, DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	f.l = l
	p := DefaultPolicy()
	var errs int
	for range p.MaxFailures {
		r, d, err := l.Reserve(f.ctx, "alice", addrA, KindPassword, f.now)
		if err != nil || !d.Allowed {
			t.Fatalf("reserve: %+v %v", d, err)
		}
		if _, err := l.Fail(f.ctx, r); err != nil {
			errs++
		}
	}
	if errs != p.MaxFailures {
		t.Errorf("%d of %d Fail calls reported the store's error, want all", errs, p.MaxFailures)
	}
	if until, _, err := f.db.Lock(f.ctx, pairKey("alice", addrA)); err != nil || !until.After(f.now) {
		t.Errorf("no pair lock (until %v, %v) after max_failures wrong passwords whose keeping failed", until, err)
	}
	// A familiar address: its in-flight counter comes back even so.
	if err := f.l.Succeed(f.ctx, "bob", addrB, f.now); err != nil {
		t.Fatal(err)
	}
	r, d, err := l.Reserve(f.ctx, "bob", addrB, KindPassword, f.now)
	if err != nil || !d.Allowed || !r.Familiar() {
		t.Fatalf("familiar reserve: %+v %v", d, err)
	}
	_, _ = l.Fail(f.ctx, r)
	if n, _ := f.db.RecordFailure(f.ctx, flightKey(addrB), f.now, p.Window); n != 1 {
		t.Errorf("after Fail the address's attempts in flight count %d (this probe included), want 1", n)
	}
}
