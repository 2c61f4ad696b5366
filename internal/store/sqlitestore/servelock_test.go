package sqlitestore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

// openServe opens path as claimgate serve does and closes it when the
// test ends.
func openServe(t *testing.T, path string) *DB {
	t.Helper()
	s, err := Open(context.Background(), path, Options{Key: testKey, Serve: true})
	if err != nil {
		t.Fatalf("Open with Serve: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// checkRefusal checks a second server's error: one line that names the
// file, says SQLite is for one instance and points to PostgreSQL.
func checkRefusal(t *testing.T, msg, path string) {
	t.Helper()
	for _, want := range []string{path, "one instance", "store.driver postgres"} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal %q does not say %q", msg, want)
		}
	}
	if strings.Contains(strings.TrimSpace(msg), "\n") {
		t.Errorf("refusal %q is not one line", msg)
	}
}

// TestServeLockRefusesASecondServer: while one DB holds the serve lock, a
// second Open with Serve on the file fails (flock conflicts between two
// opens in one process as between two processes), before it touches the
// database; once the first closes, it opens. The lock file is private.
func TestServeLockRefusesASecondServer(t *testing.T) {
	path := dbPath(t)
	first, err := Open(context.Background(), path, Options{Key: testKey, Serve: true})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path + ServeLockSuffix)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("serve lock mode %o, want 600", m)
	}
	if s, err := Open(context.Background(), path, Options{Key: testKey, Serve: true}); err == nil {
		s.Close()
		t.Fatal("a second server opened the file while the first holds the serve lock")
	} else {
		checkRefusal(t, err.Error(), path)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	openServe(t, path) // the lock went with Close
}

// TestServeLockAcrossProcesses: the same refusal for a real second
// process (this test binary as a helper), and its open once the first
// server closed.
func TestServeLockAcrossProcesses(t *testing.T) {
	path := dbPath(t)
	second := func() string {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), serveHelperEnv+"="+path)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("helper process: %v: %s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	first, err := Open(context.Background(), path, Options{Key: testKey, Serve: true})
	if err != nil {
		t.Fatal(err)
	}
	if out := second(); out == "opened" {
		t.Fatal("a second server process opened the file while the first holds the serve lock")
	} else {
		checkRefusal(t, out, path)
	}
	first.Close()
	if out := second(); out != "opened" {
		t.Fatalf("a server could not open the file after the first closed: %s", out)
	}
}

// TestServeLockAdminBeside: the admin CLI's open (no Serve) works beside
// a server and writes; but a DB without the serve lock cannot take a
// lease while a server keeps its leases in memory (the two would not see
// each other's), and one that took a lease keeps a server from starting
// until it closes.
func TestServeLockAdminBeside(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	srv, err := Open(ctx, path, Options{Key: testKey, Serve: true})
	if err != nil {
		t.Fatal(err)
	}
	admin := openT(t, path, testKey)
	if _, err := admin.AddFactor(ctx, store.Factor{User: "alice", Kind: store.KindTOTP, Name: "p", Secret: []byte("s")}); err != nil {
		t.Fatalf("the admin CLI could not write beside the server: %v", err)
	}
	if ok, err := admin.TakeLease(ctx, "user\x00alice", "cli", t0, time.Minute); err == nil {
		t.Fatalf("a lease in the file beside a serving DB: %v, want an error", ok)
	} else {
		checkRefusal(t, err.Error(), path)
	}
	srv.Close()

	if ok, err := admin.TakeLease(ctx, "user\x00alice", "cli", t0, time.Minute); err != nil || !ok {
		t.Fatalf("TakeLease with no server: %v %v", ok, err)
	}
	if s, err := Open(ctx, path, Options{Key: testKey, Serve: true}); err == nil {
		s.Close()
		t.Fatal("a server opened the file while another DB takes leases in it")
	} else {
		checkRefusal(t, err.Error(), path)
	}
	admin.Close()
	openServe(t, path)
}

// TestServeLeasesMakeNoWrite: on a serving DB, taking, renewing and
// releasing leases and losing one to its expiry never takes the writer
// (no commit at any durability) and leaves the leases table empty.
func TestServeLeasesMakeNoWrite(t *testing.T) {
	ctx := context.Background()
	s := openServe(t, dbPath(t))
	before := [3]int64{s.w.holds[0].Load(), s.w.holds[1].Load(), s.w.holds[2].Load()}
	for _, step := range []struct {
		key, owner string
		at         time.Duration
		want       bool
	}{
		{"session\x00c", "a", 0, true},
		{"session\x00c", "b", time.Second, false},
		{"session\x00c", "a", 2 * time.Second, true}, // renewal
		{"user\x00alice", "a", 2 * time.Second, true},
		{"session\x00c", "b", 2 * time.Minute, true}, // expired
	} {
		if ok, err := s.TakeLease(ctx, step.key, step.owner, t0.Add(step.at), time.Minute); err != nil || ok != step.want {
			t.Fatalf("TakeLease(%q, %q): %v %v, want %v", step.key, step.owner, ok, err, step.want)
		}
	}
	for _, owner := range []string{"a", "b"} {
		if err := s.ReleaseLease(ctx, "session\x00c", owner); err != nil {
			t.Fatal(err)
		}
	}
	for d := range before {
		if n := s.w.holds[d].Load() - before[d]; n != 0 {
			t.Errorf("%d writer turns at durability %d for leases on a serving DB; want none", n, d)
		}
	}
	var rows int
	if err := s.rawRow(`SELECT COUNT(*) FROM leases`).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("leases table holds %d rows (%v); a serving DB keeps leases in memory", rows, err)
	}
}

// TestServeLeaseKeysOnlyHashed is TestLeaseKeysNotAtRest for a serving
// DB: the lease table keeps a key's hash (store.HashID's), never the key
// (a session key carries its cookie), and nothing of the lease reaches the
// file.
func TestServeLeaseKeysOnlyHashed(t *testing.T) {
	path := dbPath(t)
	s := openServe(t, path)
	const cookie, owner = "session-cookie-value-lease-4f7a", "owner-control-9c1e"
	key := "session\x00" + cookie
	if ok, err := s.TakeLease(context.Background(), key, owner, time.Now(), time.Hour); err != nil || !ok {
		t.Fatalf("TakeLease: %v %v", ok, err)
	}
	s.leases.mu.Lock()
	var found bool
	for k, l := range s.leases.m {
		if bytes.Equal(k[:], store.HashID(key)) && l.owner == owner {
			found = true
		}
		if strings.Contains(l.owner, cookie) {
			t.Error("a lease entry holds the session cookie")
		}
	}
	s.leases.mu.Unlock()
	if !found {
		t.Fatal("the lease table does not keep the key's hash with its owner")
	}
	var all []byte
	for _, f := range []string{path, path + "-wal", path + ServeLockSuffix} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	for _, leak := range [][]byte{[]byte(cookie), []byte(owner), store.HashID(key)} {
		if bytes.Contains(all, leak) {
			t.Errorf("the file holds %q of a lease kept in memory", leak)
		}
	}
}

// TestServeLeaseTableBounded: a flood of distinct keys whose leases are
// never released (each expires a millisecond after it is taken) keeps the
// table within twice the sweep threshold, while a live lease survives the
// sweeps; Cleanup drops what has expired.
func TestServeLeaseTableBounded(t *testing.T) {
	tb := newLeaseTable()
	var h [sha256.Size]byte
	live := sha256.Sum256([]byte("live"))
	tb.take(live, "keeper", 0, int64(time.Hour))
	const flood = 50 * minSweep
	most := 0
	for i := range flood {
		h = sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i >> 16), byte(i >> 24)})
		now := int64(i) * int64(time.Microsecond)
		if !tb.take(h, "flood", now, now+int64(time.Millisecond)) {
			t.Fatalf("a fresh key %d was refused", i)
		}
		most = max(most, len(tb.m))
	}
	if most > 2*minSweep+1 {
		t.Errorf("the table grew to %d entries under a flood of expiring keys; want at most %d", most, 2*minSweep+1)
	}
	if tb.take(live, "other", int64(flood)*int64(time.Microsecond), int64(2*time.Hour)) {
		t.Error("a sweep freed a live lease")
	}
	n := tb.cleanup(int64(time.Hour) - 1)
	if len(tb.m) != 1 || n == 0 {
		t.Errorf("after Cleanup: %d entries (%d dropped), want only the live lease", len(tb.m), n)
	}
}

// TestServeLockFollowsSymlinks: a second server that names the database
// through a symbolic link (to the file, or to its directory) finds the
// same lock and is refused. Found by review: the lock was named after the
// path as written, so both servers ran, each with leases of its own.
func TestServeLockFollowsSymlinks(t *testing.T) {
	path := dbPath(t)
	first, err := Open(context.Background(), path, Options{Key: testKey, Serve: true})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	other := t.TempDir()
	fileLink, dirLink := filepath.Join(other, "via-file.db"), filepath.Join(other, "via-dir")
	if err := os.Symlink(path, fileLink); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Dir(path), dirLink); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fileLink, filepath.Join(dirLink, filepath.Base(path))} {
		if s, err := Open(context.Background(), p, Options{Key: testKey, Serve: true}); err == nil {
			s.Close()
			t.Errorf("a second server opened %s (a link to the served database)", p)
		}
	}
}
