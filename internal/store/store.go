package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"math"
	"time"

	"github.com/claimgate/claimgate/internal/audit"
)

// Errors callers can match with errors.Is.
var (
	ErrNotFound  = errors.New("store: not found")
	ErrDuplicate = errors.New("store: already exists")
	// ErrConflict means a compare-and-set lost: someone else changed the row
	// first (for example a concurrent submission of the same code).
	ErrConflict = errors.New("store: concurrent update")
	// ErrKeyMismatch: the configured encryption key is not the one the
	// database was created with.
	ErrKeyMismatch = errors.New("the encryption key does not match the one this database was created with")
	// ErrKeyMissing: the database holds encrypted data but no key is configured.
	ErrKeyMissing = errors.New("the database holds encrypted second-factor data but no encryption key is configured")
	// ErrNoKey: an operation needs encryption but the store was opened without a key.
	ErrNoKey = errors.New("store: no encryption key configured; cannot store second-factor secrets")
	// ErrSchemaTooNew: the database was migrated by a newer claimgate.
	ErrSchemaTooNew = errors.New("the database schema is newer than this claimgate supports; upgrade claimgate or use the matching database")
)

// Store is all of claimgate's durable state.
type Store interface {
	FactorStore
	CodeStore
	AppPasswordStore
	EnrolmentStore
	LockStore
	LeaseStore
	SessionStore
	SMSCodeStore
	AuditStore
	// Cleanup deletes expired used-code records, sessions, enrolment
	// codes, pending SMS codes and leases, and stale failure counters and expired
	// lock records whose level no longer matters (older than keep). The
	// server calls it periodically.
	Cleanup(ctx context.Context, now time.Time, keep time.Duration) (deleted int64, err error)
	Close() error
}

// HashID returns the SHA-256 of a secret identifier (a session ID, an
// enrolment code) — the only form in which the store keeps such values.
func HashID(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// Factor kinds.
const (
	KindTOTP = "totp"
	KindHOTP = "hotp"
	KindSMS  = "sms"
)

// Factor is one second-factor enrolment. Secret and Phone are plaintext in
// this API and encrypted at rest.
type Factor struct {
	ID         string // empty on AddFactor: the store assigns one
	User       string
	Kind       string // KindTOTP, KindHOTP or KindSMS
	Name       string // unique per user, e.g. "phone", "token 1"
	Secret     []byte
	Algorithm  string // "SHA1", "SHA256", "SHA512"
	Digits     int
	Period     time.Duration // TOTP step
	Counter    uint64        // HOTP: the next counter value expected
	LastStep   int64         // TOTP: the last accepted step (replay guard)
	Phone      string        // SMS
	SerialNo   string        // hardware token serial; unique across users when set
	CreatedAt  time.Time
	LastUsedAt time.Time
	Confirmed  bool
}

// FactorUse is the use state of a factor that UpdateFactorUse compares and sets.
type FactorUse struct {
	Counter  uint64
	LastStep int64
}

// FactorStore keeps second-factor enrolments.
type FactorStore interface {
	// AddFactor stores f, assigning ID (if empty) and CreatedAt (if zero), and
	// returns the stored factor. ErrDuplicate if the user already has a factor
	// with that name or the serial number is assigned.
	AddFactor(ctx context.Context, f Factor) (Factor, error)
	// Factors lists a user's factors, oldest first.
	Factors(ctx context.Context, user string) ([]Factor, error)
	// Factor returns one factor or ErrNotFound.
	Factor(ctx context.Context, id string) (Factor, error)
	// ConfirmFactor marks a factor as proven by a valid code.
	ConfirmFactor(ctx context.Context, id string) error
	// DeleteFactor removes a factor (ErrNotFound if absent).
	DeleteFactor(ctx context.Context, id string) error
	// UpdateFactorUse moves the factor from the use state the caller verified
	// against (prev) to next and sets LastUsedAt, atomically. If the stored
	// state is no longer prev, nothing changes and ErrConflict is returned:
	// of two concurrent submissions of one code only one succeeds. next may
	// not go backwards.
	UpdateFactorUse(ctx context.Context, id string, prev, next FactorUse, when time.Time) error
	// UseFactorCode records an accepted one-time code of a factor in the
	// store as one atomic, durable step: UpdateFactorUse, UseCode and,
	// when u asks, ConsumeEnrolmentCode and ConfirmFactor, all or
	// nothing. A sign-in's code then costs one commit (one flush) instead
	// of two to four, and no part can be recorded without the others (an
	// enrolment code spent on a code that then lost its race). It returns
	// true when everything was written; false, with nothing written, when
	// the fingerprint was used before or the enrolment code is not there
	// (or expired at u.When); ErrConflict, nothing written, when the
	// stored use state is no longer u.Prev; ErrNotFound when the factor is
	// gone.
	UseFactorCode(ctx context.Context, u CodeUse) (bool, error)
}

// CodeUse is one accepted one-time code of a factor in the store, as
// UseFactorCode records it.
type CodeUse struct {
	FactorID string
	User     string // the factor's user: the used-code record's and the enrolment code's
	// Prev and Next are UpdateFactorUse's: the use state the code was
	// verified against, and the one it moves to (never backwards).
	Prev, Next FactorUse
	When       time.Time // the factor's LastUsedAt, and "now" for the enrolment code
	// Fingerprint and Expires are UseCode's.
	Fingerprint string
	Expires     time.Time
	// Confirm marks the factor confirmed too (self-enrolment's first code).
	Confirm bool
	// EnrolmentCode, when not nil, is the HashID of an enrolment code the
	// user must hold: it is consumed in the same step.
	EnrolmentCode []byte
}

// CheckCodeUse reports a CodeUse no driver records: a use state that goes
// backwards, or a counter beyond what the databases keep.
func CheckCodeUse(u CodeUse) error {
	if u.Next.Counter < u.Prev.Counter || u.Next.LastStep < u.Prev.LastStep {
		return errors.New("store: factor use may not go backwards")
	}
	if u.Next.Counter > math.MaxInt64 || u.Prev.Counter > math.MaxInt64 {
		return errors.New("store: HOTP counter out of range")
	}
	return nil
}

// CodeStore keeps used-code records for replay protection.
type CodeStore interface {
	// UseCode records that fingerprint (e.g. "totp:<step>", or a hash of an
	// SMS code) was used for the user's factor. fresh is true for exactly one
	// caller, ever, while the record exists; expires is when Cleanup may drop
	// it (choose it after the code can no longer verify).
	UseCode(ctx context.Context, user, factorID, fingerprint string, expires time.Time) (fresh bool, err error)
	// UseStep records that TOTP time step was used for a secret kept
	// outside the store (the users file's), which has no Factor.LastStep:
	// fresh is true only if step is later than every step recorded for that
	// user and factor before, so a used step retires every earlier one
	// (RFC 6238 §5.2). The check and the write are one atomic step across
	// processes, and the record outlives restarts.
	UseStep(ctx context.Context, user, factorID string, step int64) (fresh bool, err error)
}

// AppPassword is an app-specific password. Hash is an argon2id PHC string
// made by the caller; the plaintext never reaches the store.
type AppPassword struct {
	ID         string // empty on create: the store assigns one
	User       string
	Name       string // unique per user among non-revoked passwords
	Hash       string
	CreatedAt  time.Time
	LastUsedAt time.Time
	Revoked    bool
}

// AppPasswordStore keeps app-specific passwords.
type AppPasswordStore interface {
	CreateAppPassword(ctx context.Context, p AppPassword) (AppPassword, error)
	// AppPasswords lists a user's app passwords (revoked ones too), oldest first.
	AppPasswords(ctx context.Context, user string) ([]AppPassword, error)
	RevokeAppPassword(ctx context.Context, id string) error
	TouchAppPassword(ctx context.Context, id string, when time.Time) error
	// RehashAppPassword replaces a live app password's hash (same
	// password, new form); ErrNotFound if it is gone or revoked.
	RehashAppPassword(ctx context.Context, id, hash string) error
}

// EnrolmentStore keeps one-time enrolment codes, as SHA-256 hashes (HashID).
type EnrolmentStore interface {
	// IssueEnrolmentCode stores hash (32 bytes) for user, replacing any code
	// the user had, valid until expires.
	IssueEnrolmentCode(ctx context.Context, user string, hash []byte, expires time.Time) error
	// ConsumeEnrolmentCode deletes the user's matching unexpired code and
	// reports whether there was one: each code works once.
	ConsumeEnrolmentCode(ctx context.Context, user string, hash []byte, now time.Time) (bool, error)
}

// LockEntry is one lock record.
type LockEntry struct {
	Key   string
	Until time.Time
	Level int
}

// AttemptCounter is one counter an attempt takes a place in.
type AttemptCounter struct {
	Key     string // the failure counter
	LockKey string // the lock that, while in force, refuses the attempt
	Limit   int
	// Peek compares without counting: the attempt is refused while the
	// count within the window has reached Limit (or LockKey is locked),
	// and the count does not change. For a counter that counts only
	// failures once settled (RecordFailure), checked in the same
	// operation as the counters that count attempts in flight.
	Peek bool
	// Flight marks a counter of attempts in flight only: its attempt is
	// always given back (ReturnAttempts), never kept as a failure. A
	// store holding the attempts being checked in memory does not write
	// it to the file when it closes.
	Flight bool
}

// LockStore keeps failure counters and lock records, keyed by opaque strings.
type LockStore interface {
	// RecordFailure counts a failure for key in a fixed window that starts
	// at the first failure; a failure after the window starts a new count.
	// It returns the count including this failure.
	RecordFailure(ctx context.Context, key string, now time.Time, window time.Duration) (int, error)
	// TakeAttempts is RecordFailure with ceilings, for several counters at
	// once, all or none, atomically: each count goes up only while its
	// LockKey is not locked at now and the count is below its Limit (or
	// the window has passed). counts are the new counts; refused is the
	// index of the first counter that refused (nothing was then taken), or
	// -1. Attempts are counted before they are checked, so no burst of
	// parallel attempts can pass a limit. A Peek counter is compared, not
	// counted; its count is the current one.
	TakeAttempts(ctx context.Context, cs []AttemptCounter, now time.Time, window time.Duration) (counts []int, refused int, err error)
	// ReturnAttempts gives back one attempt of each key, taken with
	// TakeAttempts at at (its now), whose credential turned out right or
	// was not checked (a count never goes below zero). A store holding
	// the attempts in flight in memory gives back that attempt, not
	// another's.
	ReturnAttempts(ctx context.Context, keys []string, at time.Time) error
	// KeepAttempts settles attempts of each key, taken with TakeAttempts
	// at now, whose credential turned out wrong: they stay counted, as
	// failures, durably. A store that counted them in TakeAttempts already
	// does nothing; one that holds the attempts in flight in memory (the
	// SQLite store under claimgate serve) writes them now.
	KeepAttempts(ctx context.Context, keys []string, now time.Time, window time.Duration) error
	// ResetFailures forgets key's failure count.
	ResetFailures(ctx context.Context, key string) error
	// SetLock records a lock on key until the given time with a level (how
	// many times in a row it was locked, for growing lock periods).
	SetLock(ctx context.Context, key string, until time.Time, level int) error
	// Lock returns key's lock record; zero values if there is none. An
	// expired lock is still returned (its level matters for the next one).
	Lock(ctx context.Context, key string) (until time.Time, level int, err error)
	// Locks lists lock records still in force at now.
	Locks(ctx context.Context, now time.Time) ([]LockEntry, error)
	// LockRecords is Lock for several keys in one read: the record of
	// each key, in the order given, with Key set; a key without a record
	// gets zero Until and Level. One round trip where a check needs the
	// locks of a pair, an address, a user and a familiar-address mark.
	LockRecords(ctx context.Context, keys []string) ([]LockEntry, error)
	// Unlock deletes key's lock record and failure count.
	Unlock(ctx context.Context, key string) error
	// UnlockPrefix deletes every lock record and failure count whose key
	// starts with prefix and returns how many rows went.
	UnlockPrefix(ctx context.Context, prefix string) (int64, error)
	// RecordSuccess is what a whole sign-in does to the counters, as one
	// commit: it deletes forget's lock record and failure count (Unlock)
	// and, when mark is not empty, sets mark's record until markUntil at
	// level 0 (SetLock; the familiar address). Undone by a power cut, it
	// leaves a count higher and an address unfamiliar, both the safe
	// side, so unlike Unlock and SetLock it does not wait for the disk.
	RecordSuccess(ctx context.Context, forget, mark string, markUntil time.Time) error
}

// LeaseStore keeps leases: short, expiring claims on a key that make one
// holder at a time, across every instance on the database (Locker builds
// a blocking lock on them). Keys may hold secrets (a session cookie): the
// store keeps only HashID(key).
type LeaseStore interface {
	// TakeLease takes key's lease for owner until ttl from now, in one
	// atomic step, if it is free, expired, or already owner's (then it is
	// renewed), and reports whether owner holds it now. A driver that
	// instances reach over the network decides expiry by the database
	// server's clock and ignores now, so instances whose clocks differ
	// still agree on who holds a lease; one on a local file uses now.
	TakeLease(ctx context.Context, key, owner string, now time.Time, ttl time.Duration) (bool, error)
	// ReleaseLease frees key's lease if owner holds it; a lease that
	// expired and went to another owner stays theirs.
	ReleaseLease(ctx context.Context, key, owner string) error
}

// SessionStore keeps sign-in sessions. IDs are stored as SHA-256 hashes and
// data encrypted when the store has a key. Every write after the first
// names the version it read, so a session deleted (sign-out) or rotated
// (the next factor) can never be written back by a request that loaded it
// before: there is no create-or-replace.
type SessionStore interface {
	// CreateSession inserts a new session at version 1; ErrDuplicate if the
	// id exists.
	CreateSession(ctx context.Context, id string, data []byte, expires time.Time) error
	// GetSession returns the data and version of an unexpired session.
	GetSession(ctx context.Context, id string, now time.Time) (data []byte, version int64, found bool, err error)
	// UpdateSession replaces the data of the session at version (which
	// becomes version+1); ErrConflict if it was deleted or changed since.
	UpdateSession(ctx context.Context, id string, version int64, data []byte, expires time.Time) error
	// RotateSession atomically deletes oldID at version and creates newID
	// (version 1); ErrConflict, and nothing written, if oldID was deleted or
	// changed since.
	RotateSession(ctx context.Context, oldID string, version int64, newID string, data []byte, expires time.Time) error
	// DeleteSession removes a session; deleting an absent one is not an error.
	DeleteSession(ctx context.Context, id string) error
}

// PendingSMS is the SMS code pending for one user and factor: only its
// hash, when it stops working, how many texts were sent for it and when
// the last one went. A code lives from its first send: a resend replaces
// the code but not the expiry, so resends cannot keep a sign-in open.
type PendingSMS struct {
	Hash     string
	Expires  time.Time
	Sends    int
	LastSent time.Time
}

// SMSLimits bound the texts sent for one pending code.
type SMSLimits struct {
	TTL         time.Duration // a code's life, from its first send
	MaxSends    int           // texts while one code lives
	MinInterval time.Duration // between two texts
}

// SMSSend is what TakeSMSSend decided.
type SMSSend struct {
	// Taken: the text may go, and Pending is the new state. Otherwise
	// Pending is the state that refused it (Sends reached MaxSends, or
	// LastSent is less than MinInterval ago), for the caller's wait.
	Taken   bool
	Pending PendingSMS
	// Prev is the state before a taken send (zero when there was no live
	// code): what UndoSMSSend restores.
	Prev PendingSMS
}

// SMSCodeStore keeps pending SMS codes where every instance sees them, so
// a code sent by one instance verifies on another and the send limits
// hold across all of them.
type SMSCodeStore interface {
	// TakeSMSSend checks lim for the user's factor and, in the same atomic
	// step, records a send of the code whose hash is given: of parallel
	// calls (from any instance) no more pass than the limits allow. A code
	// whose Expires is before now no longer counts: the send starts a new
	// one, expiring at now+lim.TTL.
	TakeSMSSend(ctx context.Context, user, factorID, hash string, now time.Time, lim SMSLimits) (SMSSend, error)
	// UndoSMSSend puts prev back for a send taken with hash that was then
	// refused for another reason (the per-user rate limit); if the pending
	// code is no longer hash, another send came since and nothing changes.
	UndoSMSSend(ctx context.Context, user, factorID, hash string, prev PendingSMS) error
	// ConsumeSMSCode deletes the user's pending code for the factor if it
	// is hash and unexpired at now (Expires after now), and reports whether
	// it did: each code works once, for exactly one caller.
	ConsumeSMSCode(ctx context.Context, user, factorID, hash string, now time.Time) (bool, error)
}

// AuditFilter selects audit records. Zero fields do not filter; Limit 0 means
// a default of 100.
type AuditFilter struct {
	User  string
	Since time.Time
	Limit int
}

// AuditStore keeps the audit trail.
type AuditStore interface {
	audit.Appender
	// ListAudit returns the newest Limit matching records, oldest first.
	ListAudit(ctx context.Context, f AuditFilter) ([]audit.Record, error)
	// PruneAudit deletes records older than before (the retention period).
	PruneAudit(ctx context.Context, before time.Time) (int64, error)
}

// Rows is what ScanLockRecords needs of a driver's result rows
// (*sql.Rows and pgx.Rows both have it).
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ScanLockRecords is LockRecords' answer from rows of (lock_key, until_at
// as Unix nanoseconds, level) in any order: one entry per key asked, in the
// caller's order, zero for a key without a row.
func ScanLockRecords(keys []string, rows Rows) ([]LockEntry, error) {
	out := make([]LockEntry, len(keys))
	for i, k := range keys {
		out[i].Key = k
	}
	for rows.Next() {
		var key string
		var until int64
		var level int
		if err := rows.Scan(&key, &until, &level); err != nil {
			return nil, err
		}
		var t time.Time
		if until != 0 {
			t = time.Unix(0, until).UTC()
		}
		for i := range out {
			if out[i].Key == key {
				out[i].Until, out[i].Level = t, level
			}
		}
	}
	return out, rows.Err()
}
