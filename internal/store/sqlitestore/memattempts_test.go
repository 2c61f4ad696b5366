package sqlitestore

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

// turns is the writer turns so far that commit, relaxed and durable (a
// read in the writer's turn commits nothing).
func turns(s *DB) [2]int64 {
	return [2]int64{s.w.holds[relaxed].Load(), s.w.holds[durable].Load()}
}

// signInCounters are the counters a password attempt from an unfamiliar
// address takes (lockout.Limiter.Reserve): the pair, the address, the user.
var signInCounters = []store.AttemptCounter{
	{Key: "pair:alice@a", LockKey: "pair:alice@a", Limit: 5},
	{Key: "addr:a", LockKey: "addr:a", Limit: 20},
	{Key: "unfamiliar:alice", LockKey: "user:alice", Limit: 10},
}

func counterKeys(cs []store.AttemptCounter) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Key
	}
	return out
}

// TestServeAttemptsWriteOnlyFailures: on a serving DB an attempt being
// checked is not written; a right one (ReturnAttempts) never is, a wrong
// one (KeepAttempts) is counted in the file in one durable commit, and
// only it is still counted after the server restarts.
func TestServeAttemptsWriteOnlyFailures(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s := openServe(t, path)
	keys := counterKeys(signInCounters)
	before := turns(s)
	for i := range 3 {
		counts, refused, err := s.TakeAttempts(ctx, signInCounters, t0, time.Hour)
		if err != nil || refused != -1 || counts[0] != 1 {
			t.Fatalf("take %d: %v %d %v, want count 1 (the returned ones do not count)", i, counts, refused, err)
		}
		if err := s.ReturnAttempts(ctx, keys, t0); err != nil {
			t.Fatal(err)
		}
	}
	if after := turns(s); after != before {
		t.Fatalf("commits (relaxed, durable) %v → %v for attempts that were taken and returned; want none", before, after)
	}
	if _, _, err := s.TakeAttempts(ctx, signInCounters, t0, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.KeepAttempts(ctx, keys, t0, time.Hour); err != nil {
		t.Fatal(err)
	}
	after := turns(s)
	if d := after[1] - before[1]; d != 1 || after[0] != before[0] {
		t.Fatalf("a kept attempt cost %d durable and %d relaxed commits; want 1 and 0", d, after[0]-before[0])
	}
	var rows int
	if err := s.rawRow(`SELECT COUNT(*) FROM failures WHERE count = 1`).Scan(&rows); err != nil || rows != 3 {
		t.Fatalf("failures with count 1: %d (%v), want the 3 kept counters", rows, err)
	}
	// One attempt in flight when the server stops cleanly: Close counts it,
	// as the file would have. It counts once more than the kept one,
	// which left the memory.
	if counts, _, err := s.TakeAttempts(ctx, signInCounters, t0, time.Hour); err != nil || counts[0] != 2 {
		t.Fatalf("take after a kept attempt: %v %v, want count 2", counts, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openServe(t, path)
	counts, refused, err := s2.TakeAttempts(ctx, signInCounters, t0, time.Hour)
	if err != nil || refused != -1 || counts[0] != 3 || counts[1] != 3 || counts[2] != 3 {
		t.Errorf("after a restart: %v %d %v, want 3 in each (the kept failure, the one in flight at Close, this one)", counts, refused, err)
	}
	// A counter of attempts in flight only is not written at Close.
	flightOnly := []store.AttemptCounter{{Key: "flight:a", LockKey: "addr:a", Limit: 64, Flight: true}}
	if _, _, err := s2.TakeAttempts(ctx, flightOnly, t0, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	s2 = openServe(t, path)
	if counts, _, err := s2.TakeAttempts(ctx, flightOnly, t0, time.Hour); err != nil || counts[0] != 1 {
		t.Errorf("a flight-only counter after a restart: %v %v, want 1 (the one in flight at Close not written)", counts, err)
	}
	if counts, _, err := s2.TakeAttempts(ctx, signInCounters, t0, time.Hour); err != nil || counts[0] != 4 {
		t.Fatalf("take: %v %v, want count 4", counts, err)
	}
	// A crash (no Close) forgets the attempt in flight, and only it.
	crash(s2)
	s3 := openServe(t, path)
	if counts, _, err := s3.TakeAttempts(ctx, signInCounters, t0, time.Hour); err != nil || counts[0] != 4 {
		t.Errorf("after a crash: %v %v, want 4 (the attempt in flight at the crash forgotten)", counts, err)
	}
}

// crash stops s as a killed process would: no Close, so nothing in memory
// is written; the connections and the serve lock go, as they would with
// the process.
func crash(s *DB) {
	s.audit.Close()
	s.closeDB()
	s.closeLeaseLock()
}

// TestServeAttemptsFailClosed: when the file cannot take a failure (here
// another process holds the write lock past the busy timeout), the failure
// stays counted in memory, and no further attempt is taken (so nothing is
// checked) until the file has it; then the take writes it and goes on.
func TestServeAttemptsFailClosed(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s, err := Open(ctx, path, Options{Key: testKey, Serve: true, BusyTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	admin := openT(t, path, testKey) // as the admin CLI opens it
	c := []store.AttemptCounter{{Key: "k", LockKey: "lk", Limit: 5}}
	if _, _, err := s.TakeAttempts(ctx, c, t0, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.rawExec(`BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	if err := s.KeepAttempts(ctx, []string{"k"}, t0, time.Hour); err == nil {
		t.Fatal("KeepAttempts succeeded while another process held the write lock")
	}
	if n := s.attempts.inFlight("k", unixNano(t0)); n != 1 {
		t.Errorf("the unwritten failure is not counted in memory: %d in flight, want 1", n)
	}
	// Right after the failed write every take is refused without trying
	// the file; a second later one of them tries (and waits out the busy
	// timeout), and the others, meanwhile, are refused at once instead of
	// each waiting for the file in the writer's queue.
	for range 3 {
		if _, refused, err := s.TakeAttempts(ctx, c, t0, time.Hour); err == nil || !strings.Contains(err.Error(), "a moment ago") {
			t.Fatalf("a take right after a failed write: refused %d, %v; want refused without trying", refused, err)
		}
	}
	s.attempts.mu.Lock()
	s.attempts.failedAt = time.Now().Add(-retryUnwritten) // as a second later
	s.attempts.mu.Unlock()
	errs := make(chan error, 10)
	for range 10 {
		go func() { _, _, err := s.TakeAttempts(ctx, c, t0, time.Hour); errs <- err }()
	}
	tried := 0
	for range 10 {
		err := <-errs
		if err == nil {
			t.Fatal("a take was allowed while a failure could not be written")
		}
		if strings.Contains(err.Error(), "locked") {
			tried++
		}
	}
	if tried != 1 {
		t.Errorf("%d of 10 takes at once tried the file; want 1", tried)
	}
	if _, err := admin.rawExec(`ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	s.attempts.mu.Lock()
	s.attempts.failedAt = time.Time{} // as retryUnwritten later
	s.attempts.mu.Unlock()
	counts, refused, err := s.TakeAttempts(ctx, c, t0, time.Hour)
	if err != nil || refused != -1 || counts[0] != 2 {
		t.Fatalf("take once the file is writable: %v %d %v, want count 2", counts, refused, err)
	}
	var n int
	if err := s.rawRow(`SELECT count FROM failures WHERE lock_key = 'k'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("failures in the file: %d (%v), want the one queued", n, err)
	}
}

// TestServeTakeKeepAcrossHandles: through two handles of the serving
// process, each with a writer of its own, a take never misses an attempt
// that the other handle is keeping (found by review: 142 of 3,000 rounds
// let a second attempt past a limit of 1 before the order lock).
func TestServeTakeKeepAcrossHandles(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	h1 := openServe(t, path)
	h2, err := Open(ctx, path, Options{Key: testKey, Serve: true, leasesOf: h1})
	if err != nil {
		t.Fatal(err)
	}
	defer h2.Close()
	for round := range 300 {
		key := fmt.Sprint("k", round)
		c := []store.AttemptCounter{{Key: key, LockKey: "l" + key, Limit: 1}}
		if _, refused, err := h1.TakeAttempts(ctx, c, t0, time.Hour); err != nil || refused != -1 {
			t.Fatalf("round %d: first take refused %d, %v", round, refused, err)
		}
		done := make(chan error, 1)
		go func() { done <- h1.KeepAttempts(ctx, []string{key}, t0, time.Hour) }()
		_, refused, err := h2.TakeAttempts(ctx, c, t0, time.Hour)
		if kerr := <-done; kerr != nil || err != nil {
			t.Fatal(kerr, err)
		}
		if refused != 0 {
			t.Fatalf("round %d: a second attempt passed a limit of 1 while the first was kept through the other handle", round)
		}
	}
}

// TestServeAttemptsHoldTheLimit: attempts in flight count against the
// limit with the settled failures, a lock refuses, a returned attempt frees
// its place, and an attempt never settled stops counting after its window.
func TestServeAttemptsHoldTheLimit(t *testing.T) {
	ctx := context.Background()
	s := openServe(t, dbPath(t))
	c := []store.AttemptCounter{{Key: "k", LockKey: "lk", Limit: 3}}
	if _, err := s.RecordFailure(ctx, "k", t0, time.Minute); err != nil {
		t.Fatal(err)
	}
	for want := 2; want <= 3; want++ {
		if counts, refused, err := s.TakeAttempts(ctx, c, t0, time.Minute); err != nil || refused != -1 || counts[0] != want {
			t.Fatalf("take: %v %d %v, want count %d", counts, refused, err, want)
		}
	}
	if _, refused, _ := s.TakeAttempts(ctx, c, t0, time.Minute); refused != 0 {
		t.Fatalf("one settled failure and two in flight under a limit of 3: refused %d, want 0", refused)
	}
	if n, err := s.RecordFailure(ctx, "k2", t0, time.Minute); err != nil || n != 1 {
		t.Fatalf("RecordFailure of another key: %d %v", n, err)
	}
	if err := s.ReturnAttempts(ctx, []string{"k"}, t0); err != nil {
		t.Fatal(err)
	}
	if counts, refused, _ := s.TakeAttempts(ctx, c, t0, time.Minute); refused != -1 || counts[0] != 3 {
		t.Fatalf("after a return: %v %d, want count 3", counts, refused)
	}
	// Nobody settles these three: past the window they are gone, with the
	// settled failure's window.
	if counts, refused, _ := s.TakeAttempts(ctx, c, t0.Add(time.Minute), time.Minute); refused != -1 || counts[0] != 1 {
		t.Errorf("after the window: %v %d, want count 1", counts, refused)
	}
	if err := s.SetLock(ctx, "lk", t0.Add(time.Hour), 1); err != nil {
		t.Fatal(err)
	}
	if _, refused, _ := s.TakeAttempts(ctx, c, t0.Add(time.Minute), time.Minute); refused != 0 {
		t.Errorf("locked: refused %d, want 0", refused)
	}
	// Unlock deletes the count in the file; the attempts in flight stay
	// counted until they settle themselves (review: forgetting them let a
	// later settle remove another attempt's place).
	if err := s.Unlock(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if n := s.attempts.inFlight("k", unixNano(t0.Add(time.Minute))); n != 1 {
		t.Errorf("after Unlock %d attempts in flight, want the 1 still being checked", n)
	}
}

// TestServeAttemptTableBounded: attempts never settled, on keys never
// taken again, do not pile up: the table is swept as the lease table is.
func TestServeAttemptTableBounded(t *testing.T) {
	tb := newAttemptTable()
	tb.add("live", 0, int64(time.Hour), false)
	most := 0
	for i := range 50 * minSweep {
		now := int64(i) * int64(time.Microsecond)
		tb.add(fmt.Sprint("flood", i), now, int64(time.Millisecond), false)
		most = max(most, len(tb.m))
	}
	if most > 2*minSweep+1 {
		t.Errorf("the table grew to %d keys under a flood of unsettled attempts; want at most %d", most, 2*minSweep+1)
	}
	if tb.live("live", int64(time.Second)) != 1 {
		t.Error("a sweep dropped an attempt still within its window")
	}
}

// TestServeCloseWritesEachAttemptOnce: Close writes the attempts in flight
// in the writer's turn, so a keep still committing when it starts is
// neither written again by Close nor (once Close has written) by itself
// (found by review: 2 failures in the file for 1 attempt, and a panic with
// a queue being written).
func TestServeCloseWritesEachAttemptOnce(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s, err := Open(ctx, path, Options{Key: testKey, Serve: true, BusyTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	admin := openT(t, path, testKey)
	c := []store.AttemptCounter{{Key: "k", LockKey: "lk", Limit: 5}, {Key: "late", LockKey: "ll", Limit: 5}}
	if _, _, err := s.TakeAttempts(ctx, c, t0, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.rawExec(`BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	kept := make(chan error, 1)
	d0 := s.w.holds[durable].Load()
	go func() { kept <- s.KeepAttempts(ctx, []string{"k"}, t0, time.Hour) }()
	for s.w.holds[durable].Load() == d0 { // the keep has the writer, waiting for the file
		time.Sleep(time.Millisecond)
	}
	closed := make(chan error, 1)
	go func() { closed <- s.keepInFlight(ctx) }()
	time.Sleep(20 * time.Millisecond)
	if _, err := admin.rawExec(`ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	if err := <-kept; err != nil {
		t.Fatal(err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	// A keep after Close wrote the attempts in flight writes nothing.
	if err := s.KeepAttempts(ctx, []string{"late"}, t0, time.Hour); err == nil {
		t.Error("a keep after Close succeeded")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]int{"k": 1, "late": 1} {
		var n int
		if err := admin.rawRow(`SELECT count FROM failures WHERE lock_key = ?`, key).Scan(&n); err != nil || n != want {
			t.Errorf("failures of %s in the file: %d (%v), want %d", key, n, err, want)
		}
	}
}

// TestServeReturnSettlesItsOwnAttempt: a right credential checked beside a
// wrong one on the same counter gives back its own attempt, not the other's
// (found by review: the return took the oldest, the wrong one's keep then
// found nothing, and the right one's attempt stayed counted for the window,
// RecordSuccess or not).
func TestServeReturnSettlesItsOwnAttempt(t *testing.T) {
	ctx := context.Background()
	s := openServe(t, dbPath(t))
	c := []store.AttemptCounter{{Key: "pair:u@a", LockKey: "pair:u@a", Limit: 5}}
	t1, t2 := t0, t0.Add(time.Millisecond)
	for _, at := range []time.Time{t1, t2} {
		if _, _, err := s.TakeAttempts(ctx, c, at, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ReturnAttempts(ctx, []string{"pair:u@a"}, t2); err != nil { // the right one, first
		t.Fatal(err)
	}
	if err := s.KeepAttempts(ctx, []string{"pair:u@a"}, t1, time.Hour); err != nil { // then the wrong one
		t.Fatal(err)
	}
	t3 := t0.Add(time.Second)
	if counts, _, err := s.TakeAttempts(ctx, c, t3, time.Hour); err != nil || counts[0] != 2 {
		t.Fatalf("take: %v %v, want 2 (one failure and this)", counts, err)
	}
	if err := s.ReturnAttempts(ctx, []string{"pair:u@a"}, t3); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordSuccess(ctx, "pair:u@a", "known:u@a", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if counts, _, err := s.TakeAttempts(ctx, c, t3, time.Hour); err != nil || counts[0] != 1 {
		t.Errorf("after the success: %v %v, want 1", counts, err)
	}
}

// TestServeNoTakeAfterClose: once Close has written the attempts in flight,
// no attempt is taken (its failure could not be written any more).
func TestServeNoTakeAfterClose(t *testing.T) {
	ctx := context.Background()
	s := openServe(t, dbPath(t))
	if err := s.keepInFlight(ctx); err != nil {
		t.Fatal(err)
	}
	c := []store.AttemptCounter{{Key: "k", LockKey: "lk", Limit: 5}}
	if _, refused, err := s.TakeAttempts(ctx, c, t0, time.Hour); err == nil {
		t.Errorf("a take after Close's write was allowed (refused %d)", refused)
	}
	if err := s.KeepAttempts(ctx, []string{"k"}, t0, time.Hour); err == nil || len(s.attempts.unwritten) != 0 {
		t.Errorf("a keep after Close: %v, %d queued; want refused and nothing queued", err, len(s.attempts.unwritten))
	}
}
