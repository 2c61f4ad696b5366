package storetest

import (
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

// testRecordSuccess: RecordSuccess forgets one key's lock and count and
// marks another until a time at level 0, as Unlock and SetLock would, and
// leaves every other key alone; without a mark it only forgets.
func testRecordSuccess(t *testing.T, su *suite) {
	s := su.open(t)
	for _, k := range []string{"pair:a", "pair:b"} {
		if _, err := s.RecordFailure(ctx(), k, t0, time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := s.SetLock(ctx(), k, t0.Add(time.Hour), 3); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetLock(ctx(), "known:a", t0, 2); err != nil {
		t.Fatal(err)
	}
	until := t0.Add(30 * 24 * time.Hour)
	if err := s.RecordSuccess(ctx(), "pair:a", "known:a", until); err != nil {
		t.Fatal(err)
	}
	if u, l, err := s.Lock(ctx(), "pair:a"); err != nil || !u.IsZero() || l != 0 {
		t.Errorf("pair:a lock after success: %v %d %v; want none", u, l, err)
	}
	// The count went too: the next failure counts 1.
	if n, err := s.RecordFailure(ctx(), "pair:a", t0.Add(ms(1)), time.Hour); err != nil || n != 1 {
		t.Errorf("pair:a count after success: %d, %v; want 1", n, err)
	}
	if u, l, err := s.Lock(ctx(), "known:a"); err != nil || !u.Equal(until) || l != 0 {
		t.Errorf("known:a after success: %v %d %v; want %v level 0", u, l, err, until)
	}
	if u, l, _ := s.Lock(ctx(), "pair:b"); !u.Equal(t0.Add(time.Hour)) || l != 3 {
		t.Errorf("another key's lock changed: %v %d", u, l)
	}
	if n, _ := s.RecordFailure(ctx(), "pair:b", t0.Add(ms(1)), time.Hour); n != 2 {
		t.Errorf("another key's count changed: %d, want 2", n)
	}
	if err := s.RecordSuccess(ctx(), "pair:b", "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if u, _, _ := s.Lock(ctx(), "pair:b"); !u.IsZero() {
		t.Error("pair:b still locked")
	}
	ls, err := s.Locks(ctx(), t0)
	if err != nil || len(ls) != 1 || ls[0] != (store.LockEntry{Key: "known:a", Until: until, Level: 0}) {
		t.Errorf("locks in force %v, %v; want only known:a", ls, err)
	}
}

// testLockRecords: LockRecords returns each key's record in the order
// asked, expired ones too (their level matters), zero for a key without
// one, and the same record twice for a key asked twice.
func testLockRecords(t *testing.T, su *suite) {
	s := su.open(t)
	set := []store.LockEntry{
		{Key: "pair:a", Until: t0.Add(time.Hour), Level: 2},
		{Key: "addr:x", Until: t0.Add(-time.Minute), Level: 3}, // expired
		{Key: "known:a", Until: t0.Add(48 * time.Hour), Level: 0},
		{Key: "pair:a_", Until: t0.Add(time.Minute), Level: 1}, // a near miss of pair:a
	}
	for _, l := range set {
		if err := s.SetLock(ctx(), l.Key, l.Until, l.Level); err != nil {
			t.Fatal(err)
		}
	}
	keys := []string{"known:a", "user:nobody", "pair:a", "addr:x", "pair:a"}
	got, err := s.LockRecords(ctx(), keys)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.LockEntry{set[2], {Key: "user:nobody"}, set[0], set[1], set[0]}
	if len(got) != len(want) {
		t.Fatalf("LockRecords(%q) = %d records, want %d", keys, len(got), len(want))
	}
	for i := range want {
		if got[i].Key != want[i].Key || !got[i].Until.Equal(want[i].Until) || got[i].Level != want[i].Level {
			t.Errorf("record %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got, err := s.LockRecords(ctx(), nil); err != nil || len(got) != 0 {
		t.Errorf("LockRecords(nil) = %v, %v", got, err)
	}
}

// testTakeAttemptsPeek: a Peek counter is compared with its limit and its
// lock within the same all-or-none operation, and never counted.
func testTakeAttemptsPeek(t *testing.T, su *suite) {
	s := su.open(t)
	w := 10 * time.Minute
	for range 3 {
		if _, err := s.RecordFailure(ctx(), "addr:x", t0, w); err != nil {
			t.Fatal(err)
		}
	}
	pair := store.AttemptCounter{Key: "pair:p", LockKey: "pair:p", Limit: 5}
	peek := func(limit int) store.AttemptCounter {
		return store.AttemptCounter{Key: "addr:x", LockKey: "addr:x", Limit: limit, Peek: true}
	}
	if _, refused, err := s.TakeAttempts(ctx(), []store.AttemptCounter{pair, peek(3)}, t0.Add(time.Minute), w); err != nil || refused != 1 {
		t.Fatalf("peek at its limit: refused %d, %v; want 1", refused, err)
	}
	counts, refused, err := s.TakeAttempts(ctx(), []store.AttemptCounter{pair, peek(4)}, t0.Add(time.Minute), w)
	if err != nil || refused != -1 || counts[0] != 1 || counts[1] != 3 {
		t.Fatalf("peek below its limit: counts %v refused %d %v; want [1 3] -1 (the refused try took nothing)", counts, refused, err)
	}
	if n, _ := s.RecordFailure(ctx(), "addr:x", t0.Add(2*time.Minute), w); n != 4 {
		t.Errorf("after peeks the count is %d, want 4: a peek must not count", n)
	}
	if err := s.SetLock(ctx(), "addr:x", t0.Add(time.Hour), 1); err != nil {
		t.Fatal(err)
	}
	if _, refused, _ := s.TakeAttempts(ctx(), []store.AttemptCounter{peek(100)}, t0.Add(3*time.Minute), w); refused != 0 {
		t.Errorf("peek while locked: refused %d, want 0", refused)
	}
	if err := s.Unlock(ctx(), "addr:x"); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		s.RecordFailure(ctx(), "addr:y", t0, w)
	}
	later := store.AttemptCounter{Key: "addr:y", LockKey: "addr:y", Limit: 2, Peek: true}
	if counts, refused, _ := s.TakeAttempts(ctx(), []store.AttemptCounter{later}, t0.Add(w+time.Second), w); refused != -1 || counts[0] != 0 {
		t.Errorf("peek after the window: counts %v refused %d; want [0] -1", counts, refused)
	}
}
