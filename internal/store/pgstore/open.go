package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/seal"
)

// DefaultMaxConns is the pool size when Options.MaxConns is zero: enough
// for a busy instance, small enough that several instances fit under
// PostgreSQL's default max_connections (100).
const DefaultMaxConns = 10

// defaultConnectTimeout bounds dialling the server when the DSN sets no
// connect_timeout, so an unreachable database fails a request instead of
// hanging it.
const defaultConnectTimeout = 5 * time.Second

// Defaults of Options.StatementTimeout and Options.AcquireTimeout.
const (
	// DefaultStatementTimeout is the server-side bound of one statement:
	// none of the store's takes more than milliseconds, and one stuck
	// behind a lock or a slow disk must fail the request, not hang it.
	DefaultStatementTimeout = 5 * time.Second
	// DefaultAcquireTimeout bounds the wait for a pooled connection of a
	// lease call when every connection is busy.
	DefaultAcquireTimeout = 5 * time.Second
)

// Options configures Open. Every field but Key is optional.
type Options struct {
	// Key is the 32-byte AES-256 key for secrets at rest. It may be nil only
	// for a database that holds no encrypted data yet (and then AddFactor
	// fails with store.ErrNoKey).
	Key []byte
	// MaxConns caps the connection pool. Zero means DefaultMaxConns.
	MaxConns int32
	// Now stamps CreatedAt when the caller left it zero. Nil means time.Now.
	Now func() time.Time
	// Rand supplies nonces and IDs. Nil means crypto/rand.
	Rand io.Reader
	// StatementTimeout is every connection's statement_timeout, unless
	// the DSN sets one. Zero means DefaultStatementTimeout; negative,
	// none. It bounds a statement the server runs too long; a server that
	// does not answer at all is bounded by the caller's context (the
	// lease Locker gives every call a deadline). Open's migration
	// transaction runs without one (it waits for other instances'
	// migrations), bounded by Open's context only.
	StatementTimeout time.Duration
	// AcquireTimeout bounds the wait for a free pooled connection of
	// TakeLease and ReleaseLease. Zero means DefaultAcquireTimeout;
	// negative, only the caller's context.
	AcquireTimeout time.Duration
	// Audit bounds the batching of audit records (store.AuditBatcher).
	Audit store.AuditBatchOptions

	// tracer sees every statement (tests: which commits are relaxed).
	tracer pgx.QueryTracer
	// syncAll commits every write synchronously, as before issue 12: the
	// benchmarks compare it with the per-write choice.
	syncAll bool
}

// DB is the PostgreSQL store. It is safe for concurrent use, also by
// several processes on one database.
type DB struct {
	pool  *pgxpool.Pool
	audit *store.AuditBatcher
	seal  *seal.Sealer // nil without a key
	now   func() time.Time
	rand  io.Reader
	// acquireTimeout bounds a lease call's wait for a connection (0: none).
	acquireTimeout time.Duration
	// syncAll: no write is relaxed (Options.syncAll).
	syncAll bool
}

var _ store.Store = (*DB)(nil)

// ParseDSN checks a connection string the way Open reads it (a URL or
// key=value pairs, pool_* settings allowed). The error never repeats the
// connection string, which may hold a password.
func ParseDSN(dsn string) (*pgxpool.Config, error) {
	if dsn == "" {
		return nil, errors.New("empty connection string")
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("invalid connection string%s", parseDetail(err))
	}
	return cfg, nil
}

// parseDetail extracts what is wrong from pgconn's parse error without the
// connection string it quotes (redacted only on a best-effort basis) or a
// url.Error, which quotes the whole URL, password included.
func parseDetail(err error) string {
	var pe *pgconn.ParseConfigError
	if !errors.As(err, &pe) {
		return ""
	}
	s := pe.Error()
	inner := pe.Unwrap()
	if inner != nil {
		s = strings.TrimSuffix(s, " ("+inner.Error()+")")
	}
	i := strings.LastIndex(s, "`: ")
	if i < 0 {
		return ""
	}
	detail := ": " + s[i+3:]
	var ue *url.Error
	switch {
	case errors.As(inner, &ue):
		detail += " (" + ue.Err.Error() + ")"
	case inner != nil:
		detail += " (" + inner.Error() + ")"
	}
	return detail
}

// Open connects to the database dsn names, migrates it under a migration
// lock and checks the encryption key. See the package documentation.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	cfg, err := ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	cfg.MaxConns = opts.MaxConns
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	cfg.MinConns = 0
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	// A connection that does not answer a ping is dropped rather than
	// handed to a request: after a server restart the pool refills with
	// working connections by itself.
	cfg.PingTimeout = defaultConnectTimeout
	setStatementTimeout(cfg, opts.StatementTimeout)
	if opts.tracer != nil {
		cfg.ConnConfig.Tracer = opts.tracer
	}
	s := &DB{now: opts.Now, rand: opts.Rand, acquireTimeout: orDefault(opts.AcquireTimeout, DefaultAcquireTimeout), syncAll: opts.syncAll}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if opts.Key != nil {
		sl, err := seal.New(opts.Key, s.rand)
		if err != nil {
			return nil, err
		}
		s.seal = sl
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s.pool = pool
	if err := s.init(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: open %s: %w", describe(cfg), err)
	}
	s.audit = store.NewAuditBatcher(s.writeAudit, opts.Audit)
	return s, nil
}

// setStatementTimeout sets statement_timeout on every connection of cfg,
// unless the DSN chose one (options=-c statement_timeout=… or the
// parameter itself).
func setStatementTimeout(cfg *pgxpool.Config, d time.Duration) {
	d = orDefault(d, DefaultStatementTimeout)
	rp := cfg.ConnConfig.RuntimeParams
	if _, set := rp["statement_timeout"]; set || d == 0 || strings.Contains(rp["options"], "statement_timeout") {
		return
	}
	rp["statement_timeout"] = strconv.FormatInt(max(d.Milliseconds(), 1), 10)
}

// orDefault is d, or def for zero, or 0 (none) for a negative d.
func orDefault(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// describe names the database without the password, for errors.
func describe(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("postgres %s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}

// Close writes the audit records still queued, then closes every pooled
// connection; calling it twice is harmless.
func (s *DB) Close() error {
	err := s.audit.Close()
	s.pool.Close()
	return err
}

// Ping checks that a connection to the database works now.
func (s *DB) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// tx runs fn in a READ COMMITTED transaction, committing if it returns nil.
func (s *DB) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// newID returns a random 128-bit identifier in hex.
func (s *DB) newID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", fmt.Errorf("store: random id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// SQLSTATE codes the store maps.
const uniqueViolation = "23505"

// mapErr turns driver errors callers care about into store errors.
func mapErr(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == uniqueViolation {
		return fmt.Errorf("%w: %v", store.ErrDuplicate, err)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// affectedOne returns ErrNotFound unless the statement changed a row.
func affectedOne(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
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
