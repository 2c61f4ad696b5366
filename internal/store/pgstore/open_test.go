package pgstore

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/storetest"
)

// TestConcurrentOpensMigrateOnce starts eight instances on one empty
// database at the same moment: every Open succeeds, each migration is
// recorded once, and there is exactly one key verifier, which all of
// them accept.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	dsn := freshDSN(t)
	const n = 8
	stores := make([]*DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			stores[i], errs[i] = Open(context.Background(), dsn, Options{Key: storetest.Key()})
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var rows, verifiers int
	if err := stores[0].pool.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if err := stores[0].pool.QueryRow(ctx, `SELECT COUNT(*) FROM meta WHERE name = 'key_verifier'`).Scan(&verifiers); err != nil {
		t.Fatal(err)
	}
	if rows != len(ms) || verifiers != 1 {
		t.Fatalf("schema_migrations rows = %d (want %d), verifiers = %d (want 1)", rows, len(ms), verifiers)
	}
	if v, err := stores[n-1].SchemaVersion(ctx); err != nil || v != len(ms) {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, len(ms))
	}
}

// TestOpenWaitsForMigrationLock holds the migration lock from another
// session: Open must wait for it (not migrate beside it) and finish as
// soon as it is released.
func TestOpenWaitsForMigrationLock(t *testing.T) {
	dsn := freshDSN(t)
	ctx := context.Background()
	holder, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		s, err := Open(ctx, dsn, Options{Key: storetest.Key()})
		if err == nil {
			t.Cleanup(func() { s.Close() })
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Open finished while another session held the migration lock (err %v)", err)
	case <-time.After(500 * time.Millisecond):
	}
	var tables int
	if err := holder.QueryRow(ctx, `SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Fatalf("%d tables created while the migration lock was held elsewhere", tables)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Open after the lock was released: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Open still waiting 10s after the migration lock was released")
	}
}

// TestOpenWaitsForMigrationLockPastStatementTimeout: the migration lock
// is held for longer than the statement timeout (a slow migration of
// another instance); Open must keep waiting, not fail with "canceling
// statement due to statement timeout", and open once it is released.
func TestOpenWaitsForMigrationLockPastStatementTimeout(t *testing.T) {
	const statementTimeout = 200 * time.Millisecond
	dsn := freshDSN(t)
	ctx := context.Background()
	holder, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	var opened *DB
	go func() {
		s, err := Open(ctx, dsn, Options{Key: storetest.Key(), StatementTimeout: statementTimeout, MaxConns: 1})
		if err == nil {
			t.Cleanup(func() { s.Close() })
		}
		opened = s
		done <- err
	}()
	// Five times the statement timeout: without the fix Open has failed
	// by now.
	select {
	case err := <-done:
		t.Fatalf("Open finished while another session held the migration lock: %v", err)
	case <-time.After(5 * statementTimeout):
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Open after the lock was released: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Open still waiting 10s after the migration lock was released")
	}
	// The one pooled connection, the migration's, keeps the timeout for
	// ordinary statements: the migration's setting was local to it.
	var got string
	if err := opened.pool.QueryRow(ctx, `SHOW statement_timeout`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "200ms" {
		t.Fatalf("statement_timeout after the migration: %q, want 200ms", got)
	}
}

// TestOpenRefusesNewerSchema: a database migrated by a newer claimgate is
// refused with ErrSchemaTooNew.
func TestOpenRefusesNewerSchema(t *testing.T) {
	dsn := freshDSN(t)
	s := openT(t, dsn, Options{Key: storetest.Key()})
	if _, err := s.pool.Exec(context.Background(),
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(context.Background(), dsn, Options{Key: storetest.Key()})
	if !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("Open = %v, want ErrSchemaTooNew", err)
	}
}

// TestDSNErrorsHideThePassword: neither a malformed connection string nor
// an unreachable server puts the password into the error.
func TestDSNErrorsHideThePassword(t *testing.T) {
	const pw = "s3cret-Pa55word"
	for _, dsn := range []string{
		"postgres://claimgate:" + pw + "@db.example:notaport/claimgate",
		"postgres://claimgate:" + pw + "@db.example/claimgate?sslmode=sometimes",
		"postgres://claimgate:" + pw + "@db.example/claimgate?connect_timeout=soon",
		"postgres://claimgate:" + pw + "@db.example/claimgate?pool_max_conns=many",
		"host=db.example user=claimgate password=" + pw + " port=notaport",
		"host=db.example password='" + pw,
		"postgres://claimgate:" + pw + "@[::1/claimgate",
	} {
		_, err := ParseDSN(dsn)
		if err == nil {
			t.Errorf("ParseDSN(%q) accepted", dsn)
			continue
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("ParseDSN error shows the password: %v", err)
		}
		if _, err := Open(context.Background(), dsn, Options{}); err == nil || strings.Contains(err.Error(), pw) {
			t.Errorf("Open(%q) error = %v", dsn, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := Open(ctx, "postgres://claimgate:"+pw+"@127.0.0.1:1/claimgate?connect_timeout=2", Options{})
	if err == nil || strings.Contains(err.Error(), pw) {
		t.Fatalf("Open on a closed port = %v", err)
	}
	if _, err := ParseDSN("postgres://claimgate:" + pw + "@db.example:5432/claimgate?sslmode=verify-full&pool_max_conns=4"); err != nil {
		t.Fatalf("a valid DSN: %v", err)
	}
}

// TestSecretsNotStoredInPlain reads every row of every table as PostgreSQL
// text (bytea in hex) and looks for the stored secrets in plain, in hex
// and in the bytea escape form. A control value in a plain column must be
// found, which proves the search sees the data.
func TestSecretsNotStoredInPlain(t *testing.T) {
	ctx := context.Background()
	s := openT(t, freshDSN(t), Options{Key: storetest.Key()})
	secret := []byte("TOTP-seed-0123456789")
	phone := "+15550123456"
	const control = "CONTROL-PLAIN-7f3a9c"
	sessionID := "session-cookie-value-9q8w7e"
	if _, err := s.AddFactor(ctx, store.Factor{User: "alice", Kind: store.KindTOTP, Name: control, Secret: secret}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddFactor(ctx, store.Factor{User: "alice", Kind: store.KindSMS, Name: "sms", Phone: phone}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, sessionID, []byte(`{"pending_secret":"`+string(secret)+`"}`), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	var dump bytes.Buffer
	rows, err := s.pool.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, tbl := range tables {
		rows, err := s.pool.Query(ctx, `SELECT t::text FROM `+pgx.Identifier{tbl}.Sanitize()+` t`)
		if err != nil {
			t.Fatal(err)
		}
		texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range texts {
			dump.WriteString(r + "\n")
		}
	}
	if !bytes.Contains(dump.Bytes(), []byte(control)) {
		t.Fatal("control value not found: the dump does not see the data")
	}
	for name, v := range map[string]string{"totp secret": string(secret), "phone": phone, "session id": sessionID} {
		for _, form := range []string{v, hexOf(v)} {
			if bytes.Contains(bytes.ToLower(dump.Bytes()), bytes.ToLower([]byte(form))) {
				t.Errorf("%s found in the database rows (%q)", name, form)
			}
		}
	}
}

func hexOf(s string) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(s))
	for _, b := range []byte(s) {
		out = append(out, digits[b>>4], digits[b&15])
	}
	return string(out)
}
