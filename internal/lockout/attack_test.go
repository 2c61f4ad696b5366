package lockout

import (
	"net/netip"
	"testing"
	"time"
)

// TestOneAddressCannotLockOutUserElsewhere hammers from A for a simulated
// day; the user at B, an address familiar for them, must never be refused
// (documented bound: 0), and A's guesses stay within the documented ~120 a
// day.
func TestOneAddressCannotLockOutUserElsewhere(t *testing.T) {
	f := newFixture(t, DefaultPolicy())
	if err := f.l.Succeed(f.ctx, "alice", addrB, f.now); err != nil {
		t.Fatal(err)
	}
	guesses := 0
	for end := start.Add(24 * time.Hour); f.now.Before(end); f.now = f.now.Add(10 * time.Second) {
		if f.check("alice", addrA).Allowed {
			f.fail("alice", addrA)
			guesses++
		}
		if d := f.check("alice", addrB); !d.Allowed {
			t.Fatalf("user at B refused at %v: %+v", f.now, d)
		}
	}
	// Documented: 5 per lock round; 7 rounds in the first hour while the
	// period grows to the cap, then one round an hour.
	if limit := 5*7 + 5*24; guesses > limit {
		t.Errorf("one address made %d guesses in a day; documented at most %d", guesses, limit)
	}
	t.Logf("guesses from one address in 24h: %d", guesses)
}

func TestDistributedAttackIsBounded(t *testing.T) {
	p := DefaultPolicy()
	f := newFixture(t, p)
	home := netip.MustParseAddr("192.0.2.50")
	if err := f.l.Succeed(f.ctx, "alice", home, f.now); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Hour)
	var userLocks []Lockout
	var lockStarts []time.Time
	bot := 0
	// Fresh attacking addresses for six hours, each failing until its pair lock.
	for end := f.now.Add(6 * time.Hour); f.now.Before(end); f.now = f.now.Add(20 * time.Second) {
		if !f.check("alice", home).Allowed {
			t.Fatalf("known address refused at %v", f.now)
		}
		a := netip.AddrFrom4([4]byte{10, 9, byte(bot >> 8), byte(bot)})
		bot++
		for _, lk := range f.failUntilLockedOrRefused("alice", a) {
			if lk.Scope == ScopeUser {
				userLocks = append(userLocks, lk)
				lockStarts = append(lockStarts, f.now)
				if d := lk.Until.Sub(f.now); d > p.UserMaxLockout {
					t.Fatalf("user-wide lock of %v exceeds user_max_lockout %v", d, p.UserMaxLockout)
				}
			}
		}
	}
	if len(userLocks) < 2 {
		t.Fatalf("a distributed attack never locked the user: %d locks", len(userLocks))
	}
	// Back-to-back user-wide locks grow 5, 10, 20, 30 minutes, never longer.
	want := []time.Duration{5 * time.Minute, 10 * time.Minute, 20 * time.Minute, 30 * time.Minute}
	for i, lk := range userLocks[:min(len(userLocks), len(want))] {
		if lk.Level != i+1 || lk.Until.Sub(lockStarts[i]) != want[i] {
			t.Errorf("user lock %d: level %d lasting %v; want level %d, %v", i+1, lk.Level, lk.Until.Sub(lockStarts[i]), i+1, want[i])
		}
	}
	t.Logf("user-wide locks in 6h: %d; unknown address now: %+v", len(userLocks), f.check("alice", addrB))
}

// failUntilLockedOrRefused is failUntilLocked for an attacker that stops
// when refused (the user-wide lock refuses new addresses too).
func (f *fixture) failUntilLockedOrRefused(user string, a netip.Addr) []Lockout {
	for i := 0; i < 100; i++ {
		if !f.check(user, a).Allowed {
			return nil
		}
		if out := f.fail(user, a); len(out) > 0 {
			return out
		}
	}
	f.t.Fatal("never locked")
	return nil
}

func TestUserWideLockNeedsDistinctAddresses(t *testing.T) {
	p := DefaultPolicy()
	f := newFixture(t, p)
	a1, a2, a3 := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3")
	f.failUntilLocked("alice", a1)
	f.failUntilLocked("alice", a2)
	if !f.check("alice", addrB).Allowed {
		t.Fatal("user locked after two addresses")
	}
	out := f.failUntilLocked("alice", a3)
	if len(out) != 2 || out[1].Scope != ScopeUser || out[1].Until.Sub(f.now) != p.UserLockout {
		t.Fatalf("third address: %+v", out)
	}
	d := f.check("alice", addrB)
	if d.Allowed || d.RetryAfter != p.UserLockout || d.Scopes[0] != ScopeUser {
		t.Fatalf("user at B during user-wide lock: %+v", d)
	}
	f.now = f.now.Add(p.UserLockout)
	if !f.check("alice", addrB).Allowed {
		t.Error("user-wide lock outlived its period")
	}
}
