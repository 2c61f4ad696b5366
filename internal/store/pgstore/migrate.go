package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/seal"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the advisory lock (the 64-bit key space) every Open
// holds while it migrates and checks the key: "claimgat" in ASCII. It is
// per database, so instances on other databases of the server never wait
// for it.
const migrationLock int64 = 0x636c61696d676174

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

// init migrates the schema and checks the key in one transaction that
// first takes the migration lock: instances starting at once run it one
// after the other, the first applies what is missing, the others find
// nothing to do, and all of them agree on one key verifier. PostgreSQL's
// DDL is transactional, so a failed migration leaves nothing behind. The
// transaction runs without a statement timeout.
func (s *DB) init(ctx context.Context) error {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		// The pool's statement_timeout (Options.StatementTimeout) bounds a
		// request's statement, not this: the lock wait lasts as long as
		// another instance's migration, and a migration as long as its
		// data. Both are bounded by Open's ctx instead. SET LOCAL ends
		// with the transaction, so the connection returns to the pool
		// with its timeout.
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return fmt.Errorf("migration timeout: %w", err)
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		if err := s.migrate(ctx, tx, ms); err != nil {
			return err
		}
		return s.checkKey(ctx, tx)
	})
}

// migrate applies every migration newer than the database, recording each
// in schema_migrations. The caller holds the migration lock.
func (s *DB) migrate(ctx context.Context, tx pgx.Tx, ms []migration) error {
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at BIGINT NOT NULL)`); err != nil {
		return err
	}
	var cur int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&cur); err != nil {
		return err
	}
	latest := len(ms)
	if cur > latest {
		return fmt.Errorf("%w (database version %d, supported up to %d)", store.ErrSchemaTooNew, cur, latest)
	}
	for _, m := range ms[cur:] {
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.version, m.name, unixNano(s.now())); err != nil {
			return err
		}
	}
	return nil
}

// SchemaVersion reports the highest applied migration.
func (s *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// checkKey compares the configured key with the verifier stored when the
// database first saw a key, storing it on first use, exactly as
// sqlitestore does. The caller holds the migration lock.
func (s *DB) checkKey(ctx context.Context, tx pgx.Tx) error {
	var stored []byte
	err := tx.QueryRow(ctx, `SELECT value FROM meta WHERE name = $1`, seal.VerifierName).Scan(&stored)
	exists := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	var nFactors int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM factors`).Scan(&nFactors); err != nil {
		return err
	}
	switch {
	case s.seal == nil && (exists || nFactors > 0):
		return store.ErrKeyMissing
	case s.seal == nil:
		return nil
	case exists:
		if !s.seal.Matches(stored) {
			return store.ErrKeyMismatch
		}
		return nil
	}
	// A key but no verifier: a new database, or one whose verifier was
	// lost. In the latter case prove the key on an existing secret first.
	if nFactors > 0 {
		var id, user string
		var secret []byte
		err := tx.QueryRow(ctx, `SELECT id, user_name, secret FROM factors WHERE secret IS NOT NULL LIMIT 1`).
			Scan(&id, &user, &secret)
		switch {
		case err == nil:
			if _, err := s.seal.Open(secret, seal.FactorAD(id, user, "secret")); err != nil {
				return store.ErrKeyMismatch
			}
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
	}
	_, err = tx.Exec(ctx, `INSERT INTO meta (name, value) VALUES ($1, $2)`, seal.VerifierName, s.seal.Verifier())
	return err
}
