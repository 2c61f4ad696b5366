package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

func testFailuresAndLocks(t *testing.T, su *suite) {
	s := su.open(t)
	w := 10 * time.Minute
	for i := 1; i <= 3; i++ {
		if n, err := s.RecordFailure(ctx(), "user:alice", t0.Add(time.Duration(i)*time.Minute), w); n != i || err != nil {
			t.Fatalf("failure %d: count %d, %v", i, n, err)
		}
	}
	// The window started at the first failure (t0+1m): at t0+11m it is over.
	if n, _ := s.RecordFailure(ctx(), "user:alice", t0.Add(11*time.Minute), w); n != 1 {
		t.Errorf("after window: count %d, want 1", n)
	}
	if n, _ := s.RecordFailure(ctx(), "user:alice", t0.Add(12*time.Minute), w); n != 2 {
		t.Errorf("new window: count %d, want 2", n)
	}
	if n, _ := s.RecordFailure(ctx(), "user:bob", t0.Add(12*time.Minute), w); n != 1 {
		t.Errorf("another key shares the count: %d", n)
	}
	if err := s.ResetFailures(ctx(), "user:alice"); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.RecordFailure(ctx(), "user:alice", t0.Add(13*time.Minute), w); n != 1 {
		t.Errorf("after reset: count %d, want 1", n)
	}

	if until, level, err := s.Lock(ctx(), "user:alice"); !until.IsZero() || level != 0 || err != nil {
		t.Errorf("no lock: %v %d %v", until, level, err)
	}
	for _, l := range []store.LockEntry{
		{Key: "user:alice", Until: t0.Add(time.Hour), Level: 2},
		{Key: `pair:"alice":192.0.2.1`, Until: t0.Add(time.Minute), Level: 1},
		{Key: "user:alice_", Until: t0.Add(time.Hour), Level: 1},
		{Key: "addr:192.0.2.9", Until: t0.Add(-time.Minute), Level: 3}, // expired
	} {
		if err := s.SetLock(ctx(), l.Key, l.Until, l.Level); err != nil {
			t.Fatal(err)
		}
	}
	if until, level, _ := s.Lock(ctx(), "user:alice"); !until.Equal(t0.Add(time.Hour)) || level != 2 {
		t.Errorf("Lock = %v %d", until, level)
	}
	if until, level, _ := s.Lock(ctx(), "addr:192.0.2.9"); !until.Equal(t0.Add(-time.Minute)) || level != 3 {
		t.Errorf("expired lock still readable for its level: %v %d", until, level)
	}
	// SetLock replaces.
	s.SetLock(ctx(), "user:alice", t0.Add(2*time.Hour), 3)
	if until, level, _ := s.Lock(ctx(), "user:alice"); !until.Equal(t0.Add(2*time.Hour)) || level != 3 {
		t.Errorf("replaced lock = %v %d", until, level)
	}
	locks, err := s.Locks(ctx(), t0)
	if err != nil || len(locks) != 3 || locks[0].Key != `pair:"alice":192.0.2.1` {
		t.Fatalf("Locks = %+v, %v; want the 3 in force, soonest first", locks, err)
	}
	if err := s.Unlock(ctx(), "user:alice"); err != nil {
		t.Fatal(err)
	}
	if _, level, _ := s.Lock(ctx(), "user:alice"); level != 0 {
		t.Error("Unlock left the lock")
	}
	if n, _ := s.RecordFailure(ctx(), "user:alice", t0.Add(14*time.Minute), w); n != 1 {
		t.Errorf("Unlock left the failure count: %d", n)
	}
	// Prefix unlock is literal: "_" and "%" are no wildcards.
	s.SetLock(ctx(), "user:alicX", t0.Add(time.Hour), 1)
	s.SetLock(ctx(), "user:%", t0.Add(time.Hour), 1)
	if n, err := s.UnlockPrefix(ctx(), "user:alice_"); n != 1 || err != nil {
		t.Errorf("UnlockPrefix deleted %d, %v; want 1", n, err)
	}
	if _, level, _ := s.Lock(ctx(), "user:alicX"); level != 1 {
		t.Error("UnlockPrefix treated _ as a wildcard")
	}
	if n, err := s.UnlockPrefix(ctx(), "user:%"); n != 1 || err != nil {
		t.Errorf("UnlockPrefix(user:%%) deleted %d, %v; want 1", n, err)
	}
	// Locks and counts both go.
	s.RecordFailure(ctx(), "addr:192.0.2.1", t0, w)
	s.SetLock(ctx(), "addr:192.0.2.1", t0.Add(time.Hour), 1)
	if n, err := s.UnlockPrefix(ctx(), "addr:192.0.2."); n != 3 || err != nil {
		t.Errorf("UnlockPrefix(addr:) deleted %d, %v; want 3 (two locks, one count)", n, err)
	}
	if _, err := s.UnlockPrefix(ctx(), ""); err == nil {
		t.Error("empty prefix accepted")
	}
}

// testRecordFailureAcrossHandles: failures from two handles at once are
// each counted, so failures spread over instances lock as if on one.
func testRecordFailureAcrossHandles(t *testing.T, su *suite) {
	s := su.open(t)
	hs := su.handles(t, s)
	const n = 40
	var mu sync.Mutex
	seen := map[int]bool{}
	race(n, func(i int) {
		c, err := hs[i%2].RecordFailure(ctx(), "user:alice", t0, time.Hour)
		if err != nil {
			t.Error(err)
		}
		mu.Lock()
		seen[c] = true
		mu.Unlock()
	})
	for c := 1; c <= n; c++ {
		if !seen[c] {
			t.Errorf("count %d was never returned: two failures saw the same count", c)
		}
	}
	if c, _ := s.RecordFailure(ctx(), "user:alice", t0, time.Hour); c != n+1 {
		t.Errorf("count after %d failures = %d, want %d", n, c-1, n)
	}
}

// take takes one attempt of one counter.
func take(s store.Store, key, lockKey string, now time.Time, window time.Duration, limit int) (int, bool, error) {
	counts, refused, err := s.TakeAttempts(ctx(), []store.AttemptCounter{{Key: key, LockKey: lockKey, Limit: limit}}, now, window)
	if err != nil || refused >= 0 {
		return 0, false, err
	}
	return counts[0], true, nil
}

// takeRace takes n attempts at once through the handles.
func takeRace(t *testing.T, hs []store.Store, n, limit int) (taken, refused int) {
	var mu sync.Mutex
	race(n, func(i int) {
		_, ok, err := take(hs[i%len(hs)], "k", "lk", t0, time.Minute, limit)
		if err != nil {
			t.Error(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if ok {
			taken++
		} else {
			refused++
		}
	})
	return taken, refused
}

// testTakeAttemptsCeiling: attempts are counted up to the limit and no
// further, even with many writers at once; a returned attempt frees its
// place; the window resets the count.
func testTakeAttemptsCeiling(t *testing.T, su *suite) {
	s := su.open(t)
	const limit = 7
	if taken, refused := takeRace(t, []store.Store{s}, 30, limit); taken != limit || refused != 30-limit {
		t.Fatalf("taken %d refused %d, want %d and %d", taken, refused, limit, 30-limit)
	}
	if err := s.ReturnAttempts(ctx(), []string{"k"}, t0); err != nil {
		t.Fatal(err)
	}
	if n, ok, _ := take(s, "k", "lk", t0, time.Minute, limit); !ok || n != limit {
		t.Errorf("after a return: %d %v, want %d true", n, ok, limit)
	}
	if n, ok, _ := take(s, "k", "lk", t0.Add(time.Minute), time.Minute, limit); !ok || n != 1 {
		t.Errorf("after the window: %d %v, want 1 true", n, ok)
	}
	if _, ok, _ := take(s, "z", "lz", t0, time.Minute, 0); ok {
		t.Error("a limit of 0 let an attempt through")
	}
	if err := s.ReturnAttempts(ctx(), nil, t0); err != nil {
		t.Errorf("returning nothing: %v", err)
	}
}

func testTakeAttemptsAcrossHandles(t *testing.T, su *suite) {
	s := su.open(t)
	hs := su.handles(t, s)
	const limit = 7
	if taken, refused := takeRace(t, hs[:], 30, limit); taken != limit || refused != 30-limit {
		t.Fatalf("across two handles: taken %d refused %d, want %d and %d", taken, refused, limit, 30-limit)
	}
}

// testTakeAttemptsAllOrNone: when one counter refuses, none is taken and
// the refusing counter's index is returned; returns decrement each key.
func testTakeAttemptsAllOrNone(t *testing.T, su *suite) {
	s := su.open(t)
	cs := []store.AttemptCounter{{Key: "a", LockKey: "la", Limit: 5}, {Key: "b", LockKey: "lb", Limit: 1}}
	if counts, refused, err := s.TakeAttempts(ctx(), cs, t0, time.Minute); err != nil || refused != -1 || len(counts) != 2 || counts[0] != 1 || counts[1] != 1 {
		t.Fatalf("first take: %v %d %v", counts, refused, err)
	}
	if _, refused, err := s.TakeAttempts(ctx(), cs, t0, time.Minute); err != nil || refused != 1 {
		t.Fatalf("second take: refused %d, err %v; want counter 1 refusing", refused, err)
	}
	if n, _ := s.RecordFailure(ctx(), "a", t0, time.Minute); n != 2 {
		t.Errorf("the refused take still counted counter a: next count %d, want 2", n)
	}
	if err := s.ReturnAttempts(ctx(), []string{"a", "b"}, t0); err != nil {
		t.Fatal(err)
	}
	if counts, refused, _ := s.TakeAttempts(ctx(), cs, t0, time.Minute); refused != -1 || counts[0] != 2 || counts[1] != 1 {
		t.Errorf("after returns: %v %d", counts, refused)
	}
	// The first counter refusing is reported as 0, and b is untouched.
	s.SetLock(ctx(), "la", t0.Add(time.Hour), 1)
	if _, refused, _ := s.TakeAttempts(ctx(), []store.AttemptCounter{cs[0], {Key: "c", LockKey: "lc", Limit: 5}}, t0, time.Minute); refused != 0 {
		t.Errorf("locked first counter: refused = %d, want 0", refused)
	}
	if n, _ := s.RecordFailure(ctx(), "c", t0, time.Minute); n != 1 {
		t.Errorf("counter c was taken behind a refusal: next count %d, want 1", n)
	}
}

// testTakeAttemptsLockInForce: nothing is counted while the counter's lock
// is in force (until > now), and returns never push a count below zero.
func testTakeAttemptsLockInForce(t *testing.T, su *suite) {
	s := su.open(t)
	if _, ok, _ := take(s, "k", "lk", t0, time.Minute, 5); !ok {
		t.Fatal("first take refused")
	}
	if err := s.ReturnAttempts(ctx(), []string{"k", "k2"}, t0); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		s.ReturnAttempts(ctx(), []string{"k"}, t0)
	}
	if err := s.SetLock(ctx(), "lk", t0.Add(2*time.Minute), 1); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := take(s, "k", "lk", t0.Add(time.Minute), time.Minute, 5); ok {
		t.Error("attempt taken while its lock was in force")
	}
	if _, ok, _ := take(s, "fresh", "lk", t0.Add(time.Minute), time.Minute, 5); ok {
		t.Error("first attempt of a new counter taken while its lock was in force")
	}
	if n, _ := s.RecordFailure(ctx(), "k", t0.Add(90*time.Second), 5*time.Minute); n != 1 {
		t.Errorf("returns went below zero (or a refused take counted): next count %d, want 1", n)
	}
	// At the lock's end it no longer refuses.
	if _, ok, _ := take(s, "fresh", "lk", t0.Add(2*time.Minute), time.Minute, 5); !ok {
		t.Error("attempt refused once the lock had run out")
	}
}

// testKeepAttempts: attempts settled as failures stay counted, in the
// database (a store that held them in memory while they were checked
// writes them now), so a restart still counts them; a returned one does
// not; keeping nothing is harmless.
func testKeepAttempts(t *testing.T, su *suite) {
	s := su.open(t)
	cs := []store.AttemptCounter{{Key: "a", LockKey: "la", Limit: 5}, {Key: "b", LockKey: "lb", Limit: 5}}
	for range 3 {
		if _, refused, err := s.TakeAttempts(ctx(), cs, t0, time.Hour); err != nil || refused != -1 {
			t.Fatalf("take: refused %d, %v", refused, err)
		}
	}
	if err := s.KeepAttempts(ctx(), []string{"a", "b"}, t0, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.KeepAttempts(ctx(), []string{"a", "b"}, t0, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.ReturnAttempts(ctx(), []string{"a", "b"}, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.KeepAttempts(ctx(), nil, t0, time.Hour); err != nil {
		t.Errorf("keeping nothing: %v", err)
	}
	if counts, refused, err := s.TakeAttempts(ctx(), cs, t0, time.Hour); err != nil || refused != -1 || counts[0] != 3 || counts[1] != 3 {
		t.Fatalf("after two kept and one returned: %v %d %v, want 3 each", counts, refused, err)
	}
	if err := s.ReturnAttempts(ctx(), []string{"a", "b"}, t0); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = su.second(t, s, Key())
	if counts, refused, err := s.TakeAttempts(ctx(), cs, t0, time.Hour); err != nil || refused != -1 || counts[0] != 3 || counts[1] != 3 {
		t.Errorf("after a restart: %v %d %v, want 3 each (the two kept failures and this)", counts, refused, err)
	}
}
