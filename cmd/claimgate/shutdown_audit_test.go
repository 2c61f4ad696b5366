package main

import (
	"context"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/sqlitestore"
	"github.com/claimgate/claimgate/internal/testutil"
)

// TestServeSIGTERMWritesQueuedAudit: audit records are written to the
// store in batches, after the request that made them has answered (issue
// 12). A clean shutdown must still write every one of them. The test
// holds the SQLite write lock from outside (as another process may, the
// admin CLI), so the records of refused sign-in attempts, which write
// nothing else, can only queue; it then sends the real claimgate serve
// process SIGTERM, lets the database go, and counts the records in the
// store once the process has exited. Before serve closed the store's
// audit queue (or if Close dropped it), the records still queued died
// with the process.
func TestServeSIGTERMWritesQueuedAudit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts claimgate as a child process; run without -short (make test)")
	}
	alice := e2eUser{Name: "alice", Password: newPassword(t), TOTP: newSeed(t)}
	fx := newFixture(t, alice)
	fx.writeConfig(t, serveConfig{extra: "lockout:\n  max_failures: 1\n"})
	var stderr testutil.SyncBuffer
	cmd := exec.Command(os.Args[0], "serve", "--config", fx.cfgPath)
	cmd.Env = append(os.Environ(), "CLAIMGATE_TEST_AS_MAIN=1")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	waitHealthy(t, fx, exited, &stderr)

	// One wrong password locks alice out from this address (max_failures
	// 1); every later attempt is refused unchecked and audited.
	b := newBrowser(nil)
	if err := b.get("begin", fx.rp.beginURL()); err != nil {
		t.Fatal(err)
	}
	wrong := url.Values{"username": {"alice"}, "password": {"wrong-" + alice.Password}}
	if err := b.postForm("wrong password", fx.base+"/login", wrong); err != nil {
		t.Fatal(err)
	}

	db := holdWriteLock(t, filepath.Join(fx.dir, "data", sqlitestore.FileName))
	const refused = 12
	for i := range refused {
		if err := b.postForm("refused attempt", fx.base+"/login", url.Values{"username": {"alice"}, "password": {alice.Password}}); err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	// Answered, and not one of them written: they are queued.
	if n := db.count(t); n != 0 {
		t.Fatalf("%d refused attempts in the store while its write lock is held elsewhere", n)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // shutting down, its writer waiting for the lock
	db.release(t)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("serve after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not exit within 30 s of SIGTERM:\n%s", stderr.String())
	}
	if strings.Contains(stderr.String(), "audit records queued at shutdown may be lost") {
		t.Errorf("serve reported lost audit records:\n%s", stderr.String())
	}

	st := reopenStore(t, fx)
	recs, err := st.ListAudit(context.Background(), store.AuditFilter{User: "alice", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, r := range recs {
		if r.Event == "first_factor_failed" && r.Reason == "locked_out" {
			got++
		}
	}
	if got != refused {
		t.Fatalf("%d locked_out records in the store after SIGTERM, want %d (of %d records: %v)", got, refused, len(recs), recs)
	}
}

// waitHealthy waits until the child's /healthz answers 200.
func waitHealthy(t *testing.T, fx *fixture, exited <-chan error, stderr *testutil.SyncBuffer) {
	t.Helper()
	s := &server{fx: fx}
	for deadline := time.Now().Add(30 * time.Second); !s.healthy(); time.Sleep(30 * time.Millisecond) {
		select {
		case err := <-exited:
			t.Fatalf("serve exited early: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer /healthz within 30 s:\n%s", stderr.String())
		}
	}
}

// lockHolder is a connection of the test's own that holds the database's
// write lock (BEGIN IMMEDIATE) until release.
type lockHolder struct {
	db   *sql.DB
	conn *sql.Conn
}

func holdWriteLock(t *testing.T, path string) *lockHolder {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	return &lockHolder{db: db, conn: conn}
}

// count is how many locked_out records the store holds now.
func (h *lockHolder) count(t *testing.T) int {
	t.Helper()
	var n int
	if err := h.conn.QueryRowContext(context.Background(),
		`SELECT count(*) FROM audit_log WHERE event = 'first_factor_failed' AND reason = 'locked_out'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (h *lockHolder) release(t *testing.T) {
	t.Helper()
	if _, err := h.conn.ExecContext(context.Background(), `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	h.conn.Close()
	h.db.Close()
}

// reopenStore opens the fixture's store as the next start of claimgate
// would, closed when the test ends.
func reopenStore(t *testing.T, fx *fixture) *sqlitestore.DB {
	t.Helper()
	k, err := os.ReadFile(filepath.Join(fx.dir, "mfa.key"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(k)))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlitestore.Open(context.Background(), filepath.Join(fx.dir, "data", sqlitestore.FileName), sqlitestore.Options{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
