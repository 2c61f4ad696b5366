// Package pgstore is the store.Store on PostgreSQL, for several claimgate
// instances sharing one database, through github.com/jackc/pgx/v5 and its
// connection pool (pgxpool, at most Options.MaxConns connections).
//
// Open does, in order: parse the DSN (errors never repeat it: it may hold
// a password), open the pool, then in one transaction take the migration
// advisory lock (pg_advisory_xact_lock), apply the numbered migrations under
// migrations/ that the database lacks, recording them in
// schema_migrations (a database newer than the code is refused with
// store.ErrSchemaTooNew), and check the encryption key against the
// verifier stored on first use (store.ErrKeyMismatch, store.ErrKeyMissing).
// Instances starting at once run that transaction one after the other;
// PostgreSQL's DDL is transactional, so a failed migration leaves nothing.
// The tables go into the first schema of the connection's search_path.
//
// Atomicity across instances, under READ COMMITTED:
//
//   - UseCode is INSERT ... ON CONFLICT DO NOTHING: one winner per key.
//   - UseStep, RecordFailure and IssueEnrolmentCode are single upserts;
//     the conflicting row is locked and re-read, so compare and write are
//     one step.
//   - UpdateFactorUse and UpdateSession are conditional UPDATEs: a second
//     writer waits for the first, then re-checks its WHERE on the new row
//     and matches nothing (ErrConflict).
//   - RotateSession, TakeAttempts, TakeSMSSend, UseFactorCode (the
//     factor's compare-and-set and the used-code record, all or nothing)
//     and the key check are transactions. TakeAttempts and SetLock take a transaction-scoped
//     advisory lock per key, so an attempt never runs across the moment a
//     lock is set (see lockKeys); TakeSMSSend takes one per pending code,
//     because before the first send there is no row to lock.
//
// Durability is chosen per write (durability.go): what guards a replay,
// a lock, a factor, an enrolment, a sign-out or a lease taken waits for
// the WAL flush; the rest commits with synchronous_commit off for its own
// transaction (SET LOCAL).
//
// Encryption at rest is package seal with the same associated data as
// sqlitestore: factor secrets and phone numbers bound to their row and
// owner, session data to its hashed id. Times are Unix nanoseconds in
// BIGINT columns, as in sqlitestore.
//
// A server restart or failover makes the calls in flight fail with an
// error; the pool drops dead connections (it pings one idle for over a
// second before handing it out) and the next calls work again on new
// ones, without reopening the store.
package pgstore
