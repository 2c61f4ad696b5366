package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Durability per write, as in the SQLite store (docs/performance-store.md
// has the table and the reasons). A write that protects something (a used
// code, a lock or failure count, a factor, an enrolment, an app password,
// a sign-out, a lease taken) commits with the server's default,
// synchronous_commit on: the commit returns once its WAL is flushed. A
// write whose loss errs on the safe side or costs a retry (a session's
// progress, a lease released, a returned attempt, a last-use time, the
// audit batch, a cleanup) commits
// with synchronous_commit off, for its own transaction only (SET LOCAL):
// it returns without waiting for the flush, which the WAL writer does
// within 3 × wal_writer_delay, or the next synchronous commit does for
// it. Only a crash of the database server (not of claimgate) can undo
// such a commit, never half of it, and never a synchronous commit made
// after it.
//
// Unlike SQLite's, PostgreSQL's crash does not end the claimgate
// processes, which go on after its restart: a lease taken with a relaxed
// commit could then vanish while its holder still works under it, and
// another instance take it too. So TakeLease waits for the flush; a lost
// release only keeps the lease until it expires (the safe side).

// setRelaxed makes the transaction it runs in commit without waiting for
// the WAL flush.
const setRelaxed = `SET LOCAL synchronous_commit = off`

// batcher is the pool or one pooled connection.
type batcher interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// relaxedExec runs q as its own transaction with a relaxed commit, in one
// round trip: the two statements go as one pipeline with one Sync, which
// PostgreSQL runs as one implicit transaction (SET LOCAL holds for it,
// and a failure of q rolls back both).
func (s *DB) relaxedExec(ctx context.Context, on batcher, q string, args ...any) (pgconn.CommandTag, error) {
	b := &pgx.Batch{}
	if !s.syncAll {
		b.Queue(setRelaxed)
	}
	var tag pgconn.CommandTag
	b.Queue(q, args...).Exec(func(ct pgconn.CommandTag) error {
		tag = ct
		return nil
	})
	err := on.SendBatch(ctx, b).Close()
	return tag, err
}

// relaxedTx is tx with a relaxed commit. The SET LOCAL goes with the
// BEGIN, as one simple-protocol query: no round trip of its own.
func (s *DB) relaxedTx(ctx context.Context, fn func(pgx.Tx) error) error {
	if s.syncAll {
		return s.tx(ctx, fn)
	}
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{BeginQuery: beginRelaxed}, fn)
}

// beginRelaxed starts a READ COMMITTED transaction (the default, as tx)
// that commits without waiting for the WAL flush.
const beginRelaxed = `BEGIN; ` + setRelaxed
