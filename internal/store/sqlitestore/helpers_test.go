package sqlitestore

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store/storetest"
)

// testKey is the conformance suite's key; otherKey differs in one byte.
var (
	testKey  = storetest.Key()
	otherKey = storetest.OtherKey()
	t0       = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

func dbPath(t *testing.T) string { return filepath.Join(t.TempDir(), FileName) }

// openT opens path with key and closes it when the test ends.
func openT(t *testing.T, path string, key []byte) *DB {
	t.Helper()
	s, err := Open(context.Background(), path, Options{Key: key, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rawExec runs q on the store's writer connection, for tests that tamper
// with rows directly.
func (s *DB) rawExec(q string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := s.w.hold(context.Background(), asIs, func(c wconn) (err error) {
		res, err = c.w.conn.ExecContext(context.Background(), q, args...)
		return err
	})
	return res, err
}

// rawRow is a query on the writer connection, run when scanned, for
// tests that read rows or pragmas directly.
func (s *DB) rawRow(q string, args ...any) rawRow { return rawRow{s, q, args} }

type rawRow struct {
	s    *DB
	q    string
	args []any
}

func (r rawRow) Scan(dest ...any) error {
	return r.s.w.hold(context.Background(), asIs, func(c wconn) error {
		return c.w.conn.QueryRowContext(context.Background(), r.q, r.args...).Scan(dest...)
	})
}
