// Package store declares claimgate's durable state behind one interface,
// Store, composed of small per-concern interfaces so a consumer can ask for
// only the slice it needs (login needs FactorStore, CodeStore, SessionStore,
// ...; lockout needs LockStore; the admin CLI needs most of them).
//
// What is kept, and why it must be durable:
//
//   - second-factor enrolments (Factor): TOTP/HOTP/SMS, with the HOTP counter
//     and the last accepted TOTP step. UpdateFactorUse is a compare-and-set so
//     two concurrent submissions of one code cannot both move the state;
//     UseFactorCode is that and UseCode as one atomic, durable step, what a
//     sign-in's accepted code costs: one commit;
//   - used-code records (UseCode): a unique key makes "first use wins" atomic,
//     and a restart does not forget them, so a code is never accepted twice;
//   - the last used TOTP step of a secret kept outside the store (UseStep,
//     for the users file), so a used step retires every earlier one there too;
//   - app-specific passwords (argon2id PHC hashes made by the caller);
//   - enrolment codes an admin issues (only their SHA-256 is kept);
//   - failure counters and lock records, keyed by strings the lockout policy
//     chooses ("user:...", "addr:...");
//   - sign-in sessions (the session ID is stored as its SHA-256, so a copy of
//     the database does not hand out live cookies);
//   - pending SMS codes (only a hash, with the expiry and send counts), so
//     a code sent by one instance verifies on another and the resend
//     limits hold across instances;
//   - leases (LeaseStore): the serialisation of one session's and one
//     user's credential checks across every instance sharing the store,
//     taken by one atomic statement, owned, expiring if an instance dies
//     (store.Locker builds the lock on them);
//   - the audit trail.
//
// Secrets (TOTP/HOTP seeds, SMS phone numbers, session data) are encrypted at
// rest by the implementation with a key from configuration; a wrong or missing
// key fails Open with ErrKeyMismatch or ErrKeyMissing instead of yielding
// wrong codes.
//
// The embedded implementation is package sqlitestore (SQLite, pure Go);
// package pgstore keeps the same state in PostgreSQL for several
// instances. The interface exposes no database/sql types. Package storetest states the contract once, as a conformance
// suite every driver runs (storetest.Run).
//
// Not-found is ErrNotFound, a unique-constraint clash ErrDuplicate and
// a lost compare-and-set ErrConflict; match them with errors.Is.
package store
