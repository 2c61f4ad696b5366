package storetest

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

// expireReal waits until a lease taken with a ttl of one millisecond has
// expired by any clock a driver may judge it by: the suite's now (which
// the caller moves on) or the database server's (which only real time
// moves). Nothing is asserted about how long it took.
func expireReal() { time.Sleep(20 * time.Millisecond) }

// testLeases: a lease has one holder at a time (also across handles and
// under a race), its owner renews it, it expires, only its owner frees it,
// and Cleanup drops the expired ones.
func testLeases(t *testing.T, su *suite) {
	t.Run("Exclusive", func(t *testing.T) { testLeaseExclusive(t, su) })
	t.Run("Expiry", func(t *testing.T) { testLeaseExpiry(t, su) })
	t.Run("Release", func(t *testing.T) { testLeaseRelease(t, su) })
	t.Run("OneHolderAcrossHandles", func(t *testing.T) { testLeaseRace(t, su) })
	t.Run("Cleanup", func(t *testing.T) { testLeaseCleanup(t, su) })
}

func takeLease(t *testing.T, s store.Store, key, owner string, now time.Time, ttl time.Duration) bool {
	t.Helper()
	ok, err := s.TakeLease(ctx(), key, owner, now, ttl)
	if err != nil {
		t.Fatalf("TakeLease(%q, %q): %v", key, owner, err)
	}
	return ok
}

func testLeaseExclusive(t *testing.T, su *suite) {
	s := su.open(t)
	s2 := su.second(t, s, Key())
	if !takeLease(t, s, "k", "a", t0, time.Hour) {
		t.Fatal("a free lease was refused")
	}
	if takeLease(t, s, "k", "b", t0.Add(ms(1)), time.Hour) {
		t.Fatal("a held lease went to a second owner")
	}
	if takeLease(t, s2, "k", "b", t0.Add(ms(1)), time.Hour) {
		t.Fatal("a held lease went to a second owner on another handle")
	}
	if !takeLease(t, s2, "k", "a", t0.Add(ms(2)), time.Hour) {
		t.Fatal("the owner could not renew its lease")
	}
	if !takeLease(t, s, "other", "b", t0.Add(ms(2)), time.Hour) {
		t.Fatal("a lease on one key blocks another key")
	}
	if _, err := s.TakeLease(ctx(), "k", "", t0, time.Hour); err == nil {
		t.Error("a lease without an owner was accepted")
	}
	if _, err := s.TakeLease(ctx(), "z", "a", t0, 0); err == nil {
		t.Error("a lease with no life was accepted")
	}
}

// testLeaseExpiry: an expired lease goes to the next owner, and a renewal
// moves the expiry on.
func testLeaseExpiry(t *testing.T, su *suite) {
	s := su.open(t)
	if !takeLease(t, s, "k", "a", t0, ms(1)) {
		t.Fatal("a free lease was refused")
	}
	expireReal()
	if !takeLease(t, s, "k", "b", t0.Add(time.Second), time.Hour) {
		t.Fatal("an expired lease was not given to another owner")
	}
	if takeLease(t, s, "k", "a", t0.Add(time.Second), time.Hour) {
		t.Fatal("the owner of an expired lease took it back from its new owner")
	}
	// A short lease renewed with a long life stays held.
	if !takeLease(t, s, "r", "a", t0, ms(1)) || !takeLease(t, s, "r", "a", t0, time.Hour) {
		t.Fatal("taking and renewing a lease failed")
	}
	expireReal()
	if takeLease(t, s, "r", "b", t0.Add(time.Second), time.Hour) {
		t.Fatal("a renewed lease expired at its first expiry")
	}
}

// testLeaseRelease: only the owner's release frees a lease.
func testLeaseRelease(t *testing.T, su *suite) {
	s := su.open(t)
	if !takeLease(t, s, "k", "a", t0, time.Hour) {
		t.Fatal("a free lease was refused")
	}
	if err := s.ReleaseLease(ctx(), "k", "b"); err != nil {
		t.Fatal(err)
	}
	if takeLease(t, s, "k", "b", t0, time.Hour) {
		t.Fatal("a release by another owner freed the lease")
	}
	if err := s.ReleaseLease(ctx(), "k", "a"); err != nil {
		t.Fatal(err)
	}
	if !takeLease(t, s, "k", "b", t0, time.Hour) {
		t.Fatal("a released lease was not free")
	}
	if err := s.ReleaseLease(ctx(), "never taken", "a"); err != nil {
		t.Errorf("releasing a lease nobody holds: %v", err)
	}
}

// testLeaseRace: 64 contenders over two handles, each taking the one key
// once (retrying while it is held): at every moment at most one is inside
// the section the lease guards, and every contender gets in.
func testLeaseRace(t *testing.T, su *suite) {
	s := su.open(t)
	hs := su.handles(t, s)
	const n = 64
	var inside, most, entered atomic.Int32
	race(n, func(i int) {
		h, owner := hs[i%2], string(rune('A'+i%26))+string(rune('a'+i/26))
		for {
			ok, err := h.TakeLease(ctx(), "k", owner, t0, time.Hour)
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				break
			}
			time.Sleep(time.Millisecond)
		}
		c := inside.Add(1)
		for m := most.Load(); c > m && !most.CompareAndSwap(m, c); m = most.Load() {
		}
		entered.Add(1)
		time.Sleep(100 * time.Microsecond) // let a second holder, if any, arrive
		inside.Add(-1)
		if err := h.ReleaseLease(ctx(), "k", owner); err != nil {
			t.Error(err)
		}
	})
	if m := most.Load(); m != 1 {
		t.Errorf("%d holders at once; a lease allows one", m)
	}
	if e := entered.Load(); e != n {
		t.Errorf("%d of %d contenders got the lease", e, n)
	}
}

// testLeaseCleanup: Cleanup deletes the expired leases and keeps the live.
func testLeaseCleanup(t *testing.T, su *suite) {
	s := su.open(t)
	if !takeLease(t, s, "old", "a", t0, ms(1)) || !takeLease(t, s, "live", "a", t0, time.Hour) {
		t.Fatal("free leases were refused")
	}
	expireReal()
	n, err := s.Cleanup(ctx(), t0.Add(time.Second), time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("Cleanup deleted %d, %v; want the one expired lease", n, err)
	}
	if takeLease(t, s, "live", "b", t0.Add(time.Second), time.Hour) {
		t.Error("Cleanup freed a live lease")
	}
}
