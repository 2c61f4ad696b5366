package sqlitestore

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

func TestOpenFreshAndReopen(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s := openT(t, path, testKey)
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil || v != len(ms) {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, len(ms))
	}
	var mode string
	var fk, busy, sync int
	s.rawRow(`PRAGMA journal_mode`).Scan(&mode)
	s.rawRow(`PRAGMA foreign_keys`).Scan(&fk)
	s.rawRow(`PRAGMA busy_timeout`).Scan(&busy)
	s.rawRow(`PRAGMA synchronous`).Scan(&sync)
	if mode != "wal" || fk != 1 || busy != 5000 || sync != 2 {
		t.Errorf("pragmas: journal_mode=%s foreign_keys=%d busy_timeout=%d synchronous=%d", mode, fk, busy, sync)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("database file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	s.Close()

	// Re-open: nothing is applied twice (the insert into schema_migrations
	// would fail on its primary key) and the version is unchanged.
	s2 := openT(t, path, testKey)
	var n int
	s2.rawRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n)
	if n != len(ms) {
		t.Errorf("schema_migrations rows = %d, want %d", n, len(ms))
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := dbPath(t)
	s := openT(t, path, testKey)
	if _, err := s.rawExec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(context.Background(), path, Options{Key: testKey})
	if !errors.Is(err, store.ErrSchemaTooNew) || !strings.Contains(err.Error(), "999") {
		t.Fatalf("Open newer schema: err = %v, want ErrSchemaTooNew naming version 999", err)
	}
}

func TestMigrationIsTransactional(t *testing.T) {
	ctx := context.Background()
	w, r, err := openPools(ctx, dbPath(t)+"?_txlock=immediate", false)
	if err != nil {
		t.Fatal(err)
	}
	s := &DB{w: w, r: r, now: func() time.Time { return t0 }}
	defer s.closeDB()
	steps := []migration{
		{1, "one", "CREATE TABLE one (x INTEGER);"},
		{2, "two", "CREATE TABLE half (x INTEGER); INSERT INTO no_such_table VALUES (1);"},
	}
	// Step 1 applies; step 2 fails half-way and must leave nothing behind.
	err = s.migrate(ctx, steps)
	if err == nil || !strings.Contains(err.Error(), "migration 2 (two)") {
		t.Fatalf("migrate bad step: err = %v", err)
	}
	var one, half int
	s.rawRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'one'`).Scan(&one)
	s.rawRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'`).Scan(&half)
	if v, _ := s.SchemaVersion(ctx); v != 1 || one != 1 || half != 0 {
		t.Fatalf("after failed migration: version %d, table one=%d half=%d; want 1, 1, 0", v, one, half)
	}
	// Fixed, the step applies on the next run.
	steps[1].sql = "CREATE TABLE half (x INTEGER);"
	if err := s.migrate(ctx, steps); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.SchemaVersion(ctx); v != 2 {
		t.Fatalf("version after fix = %d, want 2", v)
	}
}

func TestLoadMigrationsRejectsGapsAndBadNames(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"gap":  {"migrations/0001_a.sql": {Data: []byte("x")}, "migrations/0003_c.sql": {Data: []byte("x")}},
		"name": {"migrations/first.sql": {Data: []byte("x")}},
	} {
		if _, err := loadMigrations(fsys); err == nil {
			t.Errorf("%s: loadMigrations accepted a broken set", name)
		}
	}
}

// TestKeyProvenWithoutVerifier: with the verifier lost (e.g. a bad manual
// repair) the key is proven on a stored secret instead, so a wrong key is
// still refused and the right one accepted (the conformance suite covers
// the verifier's own checks).
func TestKeyProvenWithoutVerifier(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s := openT(t, path, testKey)
	if _, err := s.AddFactor(ctx, store.Factor{User: "alice", Kind: store.KindTOTP, Name: "phone", Secret: []byte("12345678901234567890")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.rawExec(`DELETE FROM meta`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(ctx, path, Options{Key: otherKey})
	if !errors.Is(err, store.ErrKeyMismatch) || !strings.Contains(err.Error(), "does not match the one this database was created with") {
		t.Errorf("wrong key without verifier: err = %v", err)
	}
	s = openT(t, path, testKey)
	f, err := s.Factors(ctx, "alice")
	if err != nil || len(f) != 1 || string(f[0].Secret) != "12345678901234567890" {
		t.Errorf("after verifier rebuild: %v, %v", f, err)
	}
	s.Close()
	if _, err := Open(ctx, path, Options{Key: otherKey}); !errors.Is(err, store.ErrKeyMismatch) {
		t.Errorf("wrong key after verifier rebuild: err = %v", err)
	}
}

func TestOpenRejectsBadPath(t *testing.T) {
	for _, p := range []string{"", "a?b.db", "a#b.db"} {
		if _, err := Open(context.Background(), p, Options{}); err == nil {
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

// TestSealedSessionBoundToItsID: session data copied to another id does not
// open there.
func TestSealedSessionBoundToItsID(t *testing.T) {
	ctx := context.Background()
	s := openT(t, dbPath(t), testKey)
	if err := s.CreateSession(ctx, "victim", []byte(`{"stage":"done"}`), t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, "attacker", []byte(`{"stage":"pending"}`), t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.rawExec(`UPDATE sessions SET data = (SELECT data FROM sessions WHERE id_hash = ?) WHERE id_hash = ?`,
		store.HashID("victim"), store.HashID("attacker")); err != nil {
		t.Fatal(err)
	}
	if got, _, ok, err := s.GetSession(ctx, "attacker", t0); err == nil && ok {
		t.Fatalf("moved session opened: %q", got)
	}
}
