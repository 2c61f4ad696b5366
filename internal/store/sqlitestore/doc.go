// Package sqlitestore is the embedded store.Store: one SQLite file in the data
// directory, opened with the pure-Go driver modernc.org/sqlite.
//
// Open does, in order: create the file with mode 0600 if it is new; open it
// in WAL mode with a busy timeout, foreign keys on, synchronous=FULL for
// the writes that must survive a power cut (a used code, or a replay
// window opens) and NORMAL for those whose loss errs on the safe side
// (conn.go: the durability of each write), and write
// transactions started IMMEDIATE (so a read-then-write transaction cannot
// deadlock against another process); apply the numbered migrations under
// migrations/, one transaction each, recording them in schema_migrations
// (a database newer than the code is refused with store.ErrSchemaTooNew);
// then check the encryption key against the verifier stored on first use.
//
// One server per file: with Options.Serve (claimgate serve) Open first
// takes an exclusive flock on the file's serve lock (the path plus
// ServeLockSuffix, mode 0600), held until Close, and fails if another
// process, or another DB in this one, holds it. Holding it, the DB keeps
// the sign-in leases (TakeLease, ReleaseLease) in a table in memory: no
// other DB takes leases on the file, so a lease needs no write (and no turn
// at the single writer), keeps only its key's hash as the file did, and is
// lost with the process as its holders are. A DB opened without Serve (the
// admin CLI, tests, the demo) keeps leases in the file, where they exclude
// each other across processes, and takes the serve lock shared before its
// first lease: so it never takes a lease beside a server that would not see
// it, and no server starts while it lives.
//
// The server and the admin CLI may have the same file open at once: SQLite's
// file locks serialise writers, the busy timeout makes the second one wait,
// and every atomic operation (UseCode, UseStep, UpdateFactorUse,
// RecordFailure, ConsumeEnrolmentCode, ConsumeSMSCode) is a single
// conditional statement, not a read-modify-write in Go; TakeAttempts and
// TakeSMSSend are one IMMEDIATE transaction, which holds the write lock
// from its first read, and so is UseFactorCode (the factor's
// compare-and-set, the used-code record and, for an enrolment, the
// enrolment code and the confirmation: one flush, all or nothing).
//
// Encryption at rest: factor secrets, phone numbers and session data are
// sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the 32-byte
// configured key. Each value has a random nonce and additional data naming its
// row and column ("factor/<id>/<user>/secret"), so a sealed value copied into
// another row does not decrypt. The database keeps only an HKDF-derived key
// verifier, never the key.
//
// Times are stored as Unix nanoseconds (BIGINT), durations as nanoseconds,
// and the SQL avoids SQLite-only syntax where that is cheap, so the schema
// ports to PostgreSQL.
package sqlitestore
