package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
)

// durability is what a commit must survive before it returns.
type durability int

const (
	// asIs leaves the connection's setting alone (tests reading pragmas).
	asIs durability = 0
	// relaxed commits with synchronous=NORMAL: in WAL mode the commit is
	// not flushed; a power cut or OS crash (never a process crash) may
	// undo it, with every commit since the last durable one, and never
	// corrupts the file. For state whose loss errs on the safe side.
	relaxed durability = 1
	// durable commits with synchronous=FULL: the WAL is flushed to disk
	// before the commit returns, and with it every commit before it.
	durable durability = 2
)

// pragma is the statement that puts the writer connection at d.
func (d durability) pragma() string {
	if d == durable {
		return `PRAGMA synchronous = FULL`
	}
	return `PRAGMA synchronous = NORMAL`
}

// writer is the one connection all of this process's writes go through.
// SQLite lets one writer at a time in any case; with several pooled
// connections the losers of each race sleep in SQLite's busy handler
// (1, 2, 5, 10 ... 100 ms) although the lock was free long before, which
// the issue 12 profile showed as 80 % of requests asleep. Here writers
// queue in Go (turn, a channel: waiters are served in arrival order and
// give up when their context ends) and go straight to the connection
// when it is free. Another process on the file (the admin CLI) still
// meets the busy timeout, as before.
type writer struct {
	db    *sql.DB              // a pool of exactly this one connection
	turn  chan struct{}        // holds a token while a caller has the connection
	conn  *sql.Conn            // owned by whoever holds turn
	stmts map[string]*sql.Stmt // prepared on conn, reused; guarded by turn
	sync  durability           // conn's synchronous setting now
	done  bool                 // closed; guarded by turn
	// allFull makes every commit durable (Options.syncAll; benchmarks).
	allFull bool
	// holds counts the turns taken at each durability (one commit each,
	// or none for a read on the writer): the durability test checks which
	// writes flush, the benchmarks report flushed commits per sign-in.
	holds [3]atomic.Int64
}

func newWriter(ctx context.Context, db *sql.DB, allFull bool) (*writer, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	w := &writer{db: db, turn: make(chan struct{}, 1), conn: conn, stmts: map[string]*sql.Stmt{}, sync: durable, allFull: allFull}
	return w, nil
}

// wconn is the writer connection while a caller holds its turn.
type wconn struct {
	w   *writer
	ctx context.Context
}

// stmt returns the prepared statement for q, preparing it on first use:
// SQLite then parses each statement once per process instead of on every
// call (the hottest user-space code in the issue 12 profile).
func (c wconn) stmt(q string) (*sql.Stmt, error) {
	if st, ok := c.w.stmts[q]; ok {
		return st, nil
	}
	st, err := c.w.conn.PrepareContext(c.ctx, q)
	if err != nil {
		return nil, err
	}
	c.w.stmts[q] = st
	return st, nil
}

func (c wconn) exec(q string, args ...any) (sql.Result, error) {
	st, err := c.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(c.ctx, args...)
}

// query runs a statement on the writer connection (a read in the
// writer's turn) and returns its rows, to be closed before the turn ends.
func (c wconn) query(q string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(c.ctx, args...)
}

// queryRow runs a statement that returns at most one row (a SELECT inside
// a transaction, or a write with RETURNING).
func (c wconn) queryRow(q string, args ...any) *sql.Row {
	st, err := c.stmt(q)
	if err != nil {
		// A *sql.Row cannot be made with an error from outside; the
		// unprepared query fails the same way when scanned.
		return c.w.conn.QueryRowContext(c.ctx, q, args...)
	}
	return st.QueryRowContext(c.ctx, args...)
}

// hold runs fn with the writer connection at durability d, after the
// writers queued before it.
func (w *writer) hold(ctx context.Context, d durability, fn func(wconn) error) error {
	select {
	case w.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-w.turn }()
	if w.done {
		return errClosed
	}
	if w.allFull && d != asIs {
		d = durable
	}
	w.holds[d].Add(1)
	c := wconn{w: w, ctx: ctx}
	if d != asIs && d != w.sync {
		if _, err := c.exec(d.pragma()); err != nil {
			return err
		}
		w.sync = d
	}
	return fn(c)
}

// write runs fn's statements, each its own (autocommit) transaction.
func (s *DB) write(ctx context.Context, d durability, fn func(wconn) error) error {
	return s.w.hold(ctx, d, fn)
}

// writeTx runs fn in one IMMEDIATE transaction, committed at d if fn
// returns nil: the write lock is taken at BEGIN, so a read-then-write in
// fn cannot deadlock against another process, and every change of fn is
// one commit (one flush when d is durable).
func (s *DB) writeTx(ctx context.Context, d durability, fn func(wconn) error) error {
	return s.w.hold(ctx, d, func(c wconn) error { return c.inTx(fn) })
}

// inTx runs fn in one IMMEDIATE transaction on the writer connection,
// in the caller's turn, committed if fn returns nil and rolled back
// otherwise.
func (c wconn) inTx(fn func(wconn) error) error {
	if _, err := c.exec(`BEGIN IMMEDIATE`); err != nil {
		return err
	}
	if err := fn(c); err != nil {
		c.rollback()
		return err
	}
	if _, err := c.exec(`COMMIT`); err != nil {
		c.rollback()
		return err
	}
	return nil
}

// rollback ends a failed transaction even if the caller's context is
// done (the driver would not run the statement then). SQLite may have
// rolled back already (an interrupted statement); that error is moot.
func (c wconn) rollback() {
	c.ctx = context.WithoutCancel(c.ctx)
	_, _ = c.exec(`ROLLBACK`)
}

// close releases the statements and the connection, after any writer
// holding the connection is done.
func (w *writer) close() error {
	w.turn <- struct{}{}
	defer func() { <-w.turn }()
	if w.done {
		return nil
	}
	w.done = true
	for _, st := range w.stmts {
		st.Close()
	}
	w.stmts = nil
	return errors.Join(w.conn.Close(), w.db.Close())
}

// errClosed is a write after Close.
var errClosed = errors.New("store: database is closed")

// reader is the pool for reads: in WAL mode readers never wait for the
// writer nor it for them, so reads run in parallel on their own
// connections (query_only, so a write sent here by mistake fails). Its
// statements are prepared once per connection by database/sql.
type reader struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func (r *reader) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, ok := r.stmts[q]; ok {
		return st, nil
	}
	st, err := r.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	r.stmts[q] = st
	return st, nil
}

func (r *reader) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := r.stmt(ctx, q)
	if err != nil {
		return r.db.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (r *reader) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := r.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (r *reader) close() error {
	r.mu.Lock()
	for _, st := range r.stmts {
		st.Close()
	}
	r.stmts = map[string]*sql.Stmt{}
	r.mu.Unlock()
	return r.db.Close()
}

// maxReaders caps the read pool: enough for the reads of parallel
// requests on a small machine, few enough that idle connections cost
// nothing noticeable.
const maxReaders = 4

// openPools opens the writer (one connection) and the read pool on dsn.
func openPools(ctx context.Context, dsn string, allFull bool) (*writer, *reader, error) {
	wdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, nil, err
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	w, err := newWriter(ctx, wdb, allFull)
	if err != nil {
		wdb.Close()
		return nil, nil, err
	}
	rdb, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		w.close()
		return nil, nil, err
	}
	rdb.SetMaxOpenConns(maxReaders)
	rdb.SetMaxIdleConns(maxReaders)
	return w, &reader{db: rdb, stmts: map[string]*sql.Stmt{}}, nil
}

// exec runs one statement as its own commit at d.
func (s *DB) exec(ctx context.Context, d durability, q string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := s.write(ctx, d, func(c wconn) (err error) {
		res, err = c.exec(q, args...)
		return err
	})
	return res, err
}
