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
