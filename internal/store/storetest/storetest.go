// Package storetest is the conformance suite of store.Store: the contract
// every driver keeps, written down once and run by each driver's tests, as
// dex's storage/conformance is for its storages.
//
// A driver's test calls Run with a function that opens a new, empty
// database with Key(), with Reopen so the suite can open a second handle
// on the same database (or reopen it with another key), and with Keyless
// for a new database without a key:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, openEmpty, storetest.Reopen(openAgain), storetest.Keyless(openEmptyNoKey))
//	}
//
// What the suite proves, per concern:
//
//   - used codes: of many concurrent UseCode calls for one fresh code,
//     from one handle or two, exactly one is fresh, and a reopen does not
//     forget it; UseStep retires every earlier step, atomically;
//   - factors: CRUD round trips, names unique per user and serial numbers
//     across users, and UpdateFactorUse is a compare-and-set with one
//     winner and no way back; UseFactorCode records a code (use state,
//     used-code record, confirmation, enrolment code) all or nothing, one
//     winner of a race;
//   - counters and locks: RecordFailure, TakeAttempts and ReturnAttempts
//     counts are exact under concurrency (also across handles), windows
//     start at the first failure, TakeAttempts takes all or none, nothing
//     is counted while a lock is in force, and returns never go below zero;
//     RecordSuccess forgets one key and marks another, nothing else;
//     LockRecords reads several keys' records in the order asked;
//   - sessions: versioned writes, so a deleted or rotated session stays
//     gone and a stale version loses without writing anything;
//   - pending SMS codes: the send limits (count, interval, life from the
//     first send) hold under parallel sends from two handles, an undo
//     restores the previous code, and a code is consumed once;
//   - leases: one holder at a time, also across two handles racing;
//     re-entrant for their owner, freed by expiry or by their owner only;
//   - enrolment codes work once, app passwords (with RehashAppPassword),
//     the audit trail, and Cleanup deletes exactly what has expired;
//   - keys: a reopen with another key is ErrKeyMismatch, without a key
//     ErrKeyMissing, and a store without a key refuses secrets (ErrNoKey).
//
// The suite keeps every time it stores to whole milliseconds, so a driver
// with microsecond timestamps passes. Raw-storage checks (file modes,
// bytes at rest, tampered rows) belong to each driver's own tests.
package storetest

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/seal"
)

// t0 is the suite's "now": every time it passes to the store is t0 plus
// whole milliseconds.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Key returns the encryption key the stores Run opens must use.
func Key() []byte { return bytes.Repeat([]byte{0x42}, seal.KeySize) }

// OtherKey returns a key that differs from Key in its last byte.
func OtherKey() []byte { return append(bytes.Repeat([]byte{0x42}, seal.KeySize-1), 0x43) }

// Option adds what a driver can do beyond opening an empty store.
type Option func(*suite)

// Reopen lets the suite open another handle on the database of a store
// that Run's open returned, with key (nil: no key). The original may be
// open (two handles racing) or closed by the suite (durability, key
// checks). The driver closes the handles it returns when t ends; the
// error is Open's, which the key tests inspect. Without Reopen, the tests
// that need a second handle fail and say so.
func Reopen(reopen func(t *testing.T, s store.Store, key []byte) (store.Store, error)) Option {
	return func(su *suite) { su.reopen = reopen }
}

// Keyless lets the suite open a new, empty store without an encryption
// key, which the driver closes when t ends. Without it, the test of a
// store without a key fails and says so.
func Keyless(open func(t *testing.T) store.Store) Option {
	return func(su *suite) { su.keyless = open }
}

type suite struct {
	open    func(t *testing.T) store.Store
	reopen  func(t *testing.T, s store.Store, key []byte) (store.Store, error)
	keyless func(t *testing.T) store.Store
}

// Run runs every conformance test against the driver, each as a subtest
// on its own empty database. open returns a new, empty store opened with
// Key(), and closes it when t ends (closing it twice must be harmless:
// some tests close it themselves).
func Run(t *testing.T, open func(t *testing.T) store.Store, opts ...Option) {
	su := &suite{open: open}
	for _, o := range opts {
		o(su)
	}
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, *suite)
	}{
		{"FactorCRUD", testFactorCRUD},
		{"UpdateFactorUseCompareAndSet", testUpdateFactorUse},
		{"UpdateFactorUseAcrossHandles", testUpdateFactorUseAcrossHandles},
		{"UseFactorCodeAllOrNothing", testUseFactorCode},
		{"UseFactorCodeOneWinner", testUseFactorCodeOneWinner},
		{"UseCodeOneWinner", testUseCodeOneWinner},
		{"UseCodeOneWinnerAcrossHandles", testUseCodeAcrossHandles},
		{"UseCodeDurable", testUseCodeDurable},
		{"UseStepRetiresEarlierSteps", testUseStep},
		{"UseStepOneWinner", testUseStepOneWinner},
		{"EnrolmentCodesOnce", testEnrolmentCodes},
		{"AppPasswords", testAppPasswords},
		{"FailuresAndLocks", testFailuresAndLocks},
		{"RecordFailureExactAcrossHandles", testRecordFailureAcrossHandles},
		{"TakeAttemptsCeiling", testTakeAttemptsCeiling},
		{"TakeAttemptsCeilingAcrossHandles", testTakeAttemptsAcrossHandles},
		{"TakeAttemptsAllOrNone", testTakeAttemptsAllOrNone},
		{"TakeAttemptsLockInForce", testTakeAttemptsLockInForce},
		{"RecordSuccess", testRecordSuccess},
		{"LockRecords", testLockRecords},
		{"TakeAttemptsPeek", testTakeAttemptsPeek},
		{"KeepAttempts", testKeepAttempts},
		{"Sessions", testSessions},
		{"RotateSessionOnce", testRotateSessionOnce},
		{"RotateSessionOneWinner", testRotateSessionOneWinner},
		{"SMSLimits", testSMSLimits},
		{"SMSUndo", testSMSUndo},
		{"SMSOneWinnerAcrossHandles", testSMSOneWinner},
		{"Audit", testAudit},
		{"AuditCloseWritesAll", testAuditCloseWritesAll},
		{"Leases", testLeases},
		{"Cleanup", testCleanup},
		{"KeyMismatchAndMissing", testKeyChecks},
		{"NoKeyStore", testNoKey},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, su) })
	}
}

// second opens another handle on s's database with key, failing the test
// if the driver cannot.
func (su *suite) second(t *testing.T, s store.Store, key []byte) store.Store {
	t.Helper()
	if su.reopen == nil {
		t.Fatal("storetest: this test needs a second handle on the same database; pass storetest.Reopen to Run")
	}
	s2, err := su.reopen(t, s, key)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	return s2
}

// race runs fn n times at once, from goroutines released together; fn
// gets its index.
func race(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

// handles returns s and a second handle on its database, so that the
// goroutines of a race can alternate between them.
func (su *suite) handles(t *testing.T, s store.Store) [2]store.Store {
	return [2]store.Store{s, su.second(t, s, Key())}
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func ctx() context.Context { return context.Background() }
