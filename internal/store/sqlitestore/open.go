package sqlitestore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/seal"
)

// FileName is the database file's name inside the data directory.
const FileName = "claimgate.db"

// Options configures Open. Every field but Key is optional.
type Options struct {
	// Key is the 32-byte AES-256 key for secrets at rest. It may be nil only
	// for a database that holds no encrypted data yet (and then AddFactor
	// fails with store.ErrNoKey).
	Key []byte
	// BusyTimeout is how long a writer waits for another (process's) writer.
	// Zero means 5 seconds.
	BusyTimeout time.Duration
	// Now stamps CreatedAt when the caller left it zero. Nil means time.Now.
	Now func() time.Time
	// Rand supplies nonces and IDs. Nil means crypto/rand.
	Rand io.Reader
	// Audit bounds the batching of audit records (store.AuditBatcher).
	Audit store.AuditBatchOptions
	// Serve is set by the process that signs users in on the file
	// (claimgate serve): Open takes the serve lock, an exclusive flock on
	// the file named by the path plus ServeLockSuffix, held until Close,
	// and fails when another process (or another DB in this one) holds it.
	// Holding it, the DB keeps sign-in leases (TakeLease) and the attempts
	// being checked (TakeAttempts) in memory, and answers session reads
	// from a cache of the sessions it wrote. The
	// admin CLI opens the file without it, beside a running server.
	Serve bool

	// syncAll commits every write with synchronous=FULL, as before issue
	// 12: the benchmarks compare it with the per-write choice.
	syncAll bool
	// leasesOf, with Serve, makes the new DB share that serving DB's lease
	// table and take no serve lock of its own: a second connection pool of
	// the one serving process, as the conformance suite's second handle
	// stands for.
	leasesOf *DB
}

// DB is the SQLite store. It is safe for concurrent use.
type DB struct {
	w     *writer // every write, one at a time
	r     *reader // reads, in parallel
	audit *store.AuditBatcher
	// closeOnce makes Close idempotent (the conformance suite closes twice).
	closeOnce sync.Once
	seal      *seal.Sealer // nil without a key
	now       func() time.Time
	rand      io.Reader
	path      string

	// leases are the sign-in leases in memory, with Options.Serve; nil:
	// they are in the file (leases.go).
	leases *leaseTable
	// attempts are the attempts being checked, in memory with
	// Options.Serve (memattempts.go); nil: they are counted in the file.
	attempts *attemptTable
	// sessions caches the sessions this DB wrote, with Options.Serve
	// (memsessions.go); nil: every read asks the file.
	sessions *sessionCache
	// leaseLock is the serve lock while held: exclusive from Open with
	// Options.Serve, otherwise shared from the first lease on; closed
	// marks it released by Close for good.
	leaseLockMu sync.Mutex
	leaseLock   *os.File
	closed      bool
}

var _ store.Store = (*DB)(nil)

// Open opens (creating if needed) the database at path, migrates it and checks
// the encryption key. See the package documentation for the details.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("store: invalid database path %q", path)
	}
	s := &DB{now: opts.Now, rand: opts.Rand, path: path}
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
	// Create the file ourselves so it is private from the first byte; SQLite
	// gives the -wal and -shm files the same mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	f.Close()
	// The serve lock comes before anything else touches the file: a
	// second server fails before it migrates or writes.
	switch {
	case opts.Serve && opts.leasesOf != nil:
		s.leases, s.attempts, s.sessions = opts.leasesOf.leases, opts.leasesOf.attempts, opts.leasesOf.sessions
	case opts.Serve:
		if s.leaseLock, err = takeServeLock(path); err != nil {
			return nil, err
		}
		s.leases, s.attempts, s.sessions = newLeaseTable(), newAttemptTable(), newSessionCache()
	}

	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 5 * time.Second
	}
	dsn := fmt.Sprintf("%s?_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)"+
		"&_pragma=synchronous(FULL)&_txlock=immediate", path, busy.Milliseconds())
	w, r, err := openPools(ctx, dsn, opts.syncAll)
	if err != nil {
		s.closeLeaseLock()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s.w, s.r = w, r
	if err := s.init(ctx); err != nil {
		s.closeDB()
		s.closeLeaseLock()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s.audit = store.NewAuditBatcher(s.writeAudit, opts.Audit)
	return s, nil
}

func (s *DB) init(ctx context.Context) error {
	var mode string
	if err := s.r.queryRow(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q, want wal", mode)
	}
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return err
	}
	if err := s.migrate(ctx, ms); err != nil {
		return err
	}
	return s.checkKey(ctx)
}

// Close writes the audit records still queued, then closes the database;
// SQLite checkpoints the WAL on the last close. The serve lock goes last,
// after the last write. Calling it twice is harmless.
func (s *DB) Close() error {
	var err error
	s.closeOnce.Do(func() {
		if s.audit != nil {
			err = s.audit.Close()
		}
		if s.attempts != nil && s.leaseLock != nil {
			// The serving DB (not a second handle sharing its table).
			err = errors.Join(err, s.keepInFlight(context.Background()))
		}
		err = errors.Join(err, s.closeDB(), s.closeLeaseLock())
	})
	return err
}

// closeDB closes both pools. The last connection to the file to close
// checkpoints the WAL, which flushes it and the database file, relaxed
// commits included.
func (s *DB) closeDB() error {
	return errors.Join(s.r.close(), s.w.close())
}

// newID returns a random 128-bit identifier in hex.
func (s *DB) newID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", fmt.Errorf("store: random id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// mapErr turns driver errors callers care about into store errors.
func mapErr(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %v", store.ErrDuplicate, err)
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// affectedOne returns ErrNotFound unless the statement changed a row.
func affectedOne(res sql.Result, err error) error {
	if err != nil {
		return mapErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}
