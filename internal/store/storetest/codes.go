package storetest

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

// useRace submits one code n times at once through the handles and
// returns how many calls were fresh.
func useRace(t *testing.T, hs []store.Store, n int) int32 {
	var fresh atomic.Int32
	race(n, func(i int) {
		ok, err := hs[i%len(hs)].UseCode(ctx(), "alice", "f1", "totp:58379000", t0.Add(2*time.Minute))
		if err != nil {
			t.Error(err)
		}
		if ok {
			fresh.Add(1)
		}
	})
	return fresh.Load()
}

func testUseCodeOneWinner(t *testing.T, su *suite) {
	s := su.open(t)
	if n := useRace(t, []store.Store{s}, 20); n != 1 {
		t.Fatalf("fresh = %d of 20, want exactly 1", n)
	}
}

func testUseCodeAcrossHandles(t *testing.T, su *suite) {
	s := su.open(t)
	hs := su.handles(t, s)
	if n := useRace(t, hs[:], 20); n != 1 {
		t.Fatalf("fresh = %d of 20 across two handles, want exactly 1", n)
	}
	for i, h := range hs {
		if ok, err := h.UseCode(ctx(), "alice", "f1", "totp:58379000", t0.Add(2*time.Minute)); ok || err != nil {
			t.Errorf("handle %d: replay fresh=%v err=%v", i, ok, err)
		}
	}
}

// testUseCodeDurable: a used code stays used after a reopen, records are
// independent per user, factor and fingerprint, and Cleanup drops them
// only once they expire.
func testUseCodeDurable(t *testing.T, su *suite) {
	s := su.open(t)
	if ok, err := s.UseCode(ctx(), "alice", "f1", "totp:1", t0.Add(time.Hour)); !ok || err != nil {
		t.Fatalf("first use: %v %v", ok, err)
	}
	for _, k := range [][3]string{{"bob", "f1", "totp:1"}, {"alice", "f2", "totp:1"}, {"alice", "f1", "totp:2"}} {
		if ok, err := s.UseCode(ctx(), k[0], k[1], k[2], t0.Add(time.Hour)); !ok || err != nil {
			t.Errorf("UseCode%v = %v, %v; want fresh", k, ok, err)
		}
	}
	s.Close()
	s = su.second(t, s, Key())
	if ok, err := s.UseCode(ctx(), "alice", "f1", "totp:1", t0.Add(time.Hour)); ok || err != nil {
		t.Fatalf("replay after reopen: fresh=%v err=%v; want refused", ok, err)
	}
	if _, err := s.Cleanup(ctx(), t0, time.Hour); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.UseCode(ctx(), "alice", "f1", "totp:1", t0.Add(time.Hour)); ok {
		t.Fatal("Cleanup dropped an unexpired used code")
	}
	n, err := s.Cleanup(ctx(), t0.Add(time.Hour), time.Hour)
	if err != nil || n != 4 {
		t.Fatalf("Cleanup after expiry deleted %d, %v; want 4", n, err)
	}
	if ok, _ := s.UseCode(ctx(), "alice", "f1", "totp:1", t0.Add(2*time.Hour)); !ok {
		t.Error("a code whose record expired and was cleaned up is not fresh again")
	}
}

// testUseStep: a step is fresh only if it is later than every step used
// before for that user and secret, and the record survives a reopen.
func testUseStep(t *testing.T, su *suite) {
	s := su.open(t)
	for _, c := range []struct {
		user, factor string
		step         int64
		fresh        bool
	}{
		{"alice", "file-totp", 100, true},
		{"alice", "file-totp", 100, false}, // replay
		{"alice", "file-totp", 98, false},  // earlier, though never used itself
		{"alice", "file-totp", 99, false},
		{"alice", "file-totp", 101, true},
		{"bob", "file-totp", 50, true}, // another user
		{"alice", "other", 50, true},   // another secret
		{"alice", "file-totp", 100, false},
	} {
		fresh, err := s.UseStep(ctx(), c.user, c.factor, c.step)
		if err != nil || fresh != c.fresh {
			t.Fatalf("UseStep(%s, %s, %d) = %v, %v; want %v", c.user, c.factor, c.step, fresh, err, c.fresh)
		}
	}
	s.Close()
	s = su.second(t, s, Key())
	if fresh, err := s.UseStep(ctx(), "alice", "file-totp", 101); fresh || err != nil {
		t.Fatalf("after a reopen a used step was fresh (%v, %v)", fresh, err)
	}
	if fresh, _ := s.UseStep(ctx(), "alice", "file-totp", 102); !fresh {
		t.Fatal("after a reopen a later step was refused")
	}
}

// testUseStepOneWinner: of many simultaneous uses of one step, through
// two handles, exactly one is fresh.
func testUseStepOneWinner(t *testing.T, su *suite) {
	s := su.open(t)
	hs := su.handles(t, s)
	var fresh atomic.Int32
	race(20, func(i int) {
		ok, err := hs[i%2].UseStep(ctx(), "alice", "file-totp", 58379000)
		if err != nil {
			t.Error(err)
		}
		if ok {
			fresh.Add(1)
		}
	})
	if fresh.Load() != 1 {
		t.Fatalf("fresh = %d of 20, want exactly 1", fresh.Load())
	}
}

func testEnrolmentCodes(t *testing.T, su *suite) {
	s := su.open(t)
	h1, h2 := store.HashID("ABCD-EFGH"), store.HashID("IJKL-MNOP")
	if err := s.IssueEnrolmentCode(ctx(), "alice", []byte("ABCD-EFGH"), t0.Add(time.Hour)); err == nil {
		t.Error("a non-hash (plaintext code) was accepted")
	}
	if err := s.IssueEnrolmentCode(ctx(), "alice", h1, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.ConsumeEnrolmentCode(ctx(), "bob", h1, t0); ok {
		t.Error("another user consumed alice's code")
	}
	if ok, _ := s.ConsumeEnrolmentCode(ctx(), "alice", h1, t0.Add(time.Hour)); ok {
		t.Error("expired code consumed")
	}
	// Many consumers at once: one gets it.
	var got atomic.Int32
	race(10, func(int) {
		ok, err := s.ConsumeEnrolmentCode(ctx(), "alice", h1, t0)
		if err != nil {
			t.Error(err)
		}
		if ok {
			got.Add(1)
		}
	})
	if got.Load() != 1 {
		t.Fatalf("a valid code was consumed %d times at once, want 1", got.Load())
	}
	if ok, _ := s.ConsumeEnrolmentCode(ctx(), "alice", h1, t0); ok {
		t.Error("code consumed twice")
	}
	// A new code replaces the outstanding one.
	if err := s.IssueEnrolmentCode(ctx(), "alice", h1, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.IssueEnrolmentCode(ctx(), "alice", h2, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.ConsumeEnrolmentCode(ctx(), "alice", h1, t0); ok {
		t.Error("superseded code still works")
	}
	if ok, _ := s.ConsumeEnrolmentCode(ctx(), "alice", h2, t0); !ok {
		t.Error("new code refused")
	}
}
