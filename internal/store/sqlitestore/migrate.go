package sqlitestore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema step.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads migrations/NNNN_name.sql, sorted, and insists they are
// numbered 1, 2, 3... with no gap: a gap would mean a lost file.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "migrations/"), ".sql")
		num, label, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %s: name must be NNNN_label.sql", n)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: label, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migrations: expected version %d, found %d (%s)", i+1, m.version, m.name)
		}
	}
	return ms, nil
}

// migrate applies every migration newer than the database, each in its own
// IMMEDIATE transaction that re-reads the version first, so two processes
// starting at once cannot apply one step twice.
func (s *DB) migrate(ctx context.Context, ms []migration) error {
	latest := len(ms)
	for {
		done := false
		err := s.writeTx(ctx, durable, func(c wconn) error {
			if _, err := c.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
				version    INTEGER PRIMARY KEY,
				name       TEXT NOT NULL,
				applied_at BIGINT NOT NULL)`); err != nil {
				return err
			}
			var cur int
			if err := c.queryRow(`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&cur); err != nil {
				return err
			}
			if cur > latest {
				return fmt.Errorf("%w (database version %d, supported up to %d)", store.ErrSchemaTooNew, cur, latest)
			}
			if cur == latest {
				done = true
				return nil
			}
			m := ms[cur]
			// A migration is a script of several statements, run once:
			// not a statement to keep prepared.
			if _, err := c.w.conn.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
			_, err := c.exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, unixNano(s.now()))
			return err
		})
		if err != nil || done {
			return err
		}
	}
}

// SchemaVersion reports the highest applied migration.
func (s *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.r.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// unixNano stores a time; the zero time is 0 ("never").
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNano is the inverse of unixNano, in UTC.
func fromNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
