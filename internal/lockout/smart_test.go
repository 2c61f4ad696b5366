package lockout

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// botAddr is the i-th of many attacking addresses, none familiar.
func botAddr(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 77, byte(i >> 8), byte(i)}) }

// TestSpreadCodeGuessesLockUser: an attacker who knows the password stays
// below max_failures at every address (40 addresses × 4 wrong codes). The
// 10th wrong code from unfamiliar addresses locks the user for unfamiliar
// addresses; a fresh address is refused even with the right code, while the
// user's familiar address keeps working.
func TestSpreadCodeGuessesLockUser(t *testing.T) {
	p := DefaultPolicy()
	f := newFixture(t, p)
	home := netip.MustParseAddr("192.0.2.50")
	if err := f.l.Succeed(f.ctx, "alice", home, f.now); err != nil {
		t.Fatal(err)
	}
	wrong, refused := 0, 0
	var lock *Lockout
	for i := range 40 {
		for range 4 {
			f.now = f.now.Add(time.Second)
			r, d, err := f.l.Reserve(f.ctx, "alice", botAddr(i), KindCode, f.now)
			if err != nil {
				t.Fatal(err)
			}
			if !d.Allowed {
				refused++
				continue
			}
			wrong++
			out, err := f.l.Fail(f.ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			for _, lk := range out {
				if lk.Scope == ScopeUser && lock == nil {
					lock = &lk
				}
			}
		}
	}
	if wrong != p.UnfamiliarMaxCodes {
		t.Errorf("%d wrong codes were checked, want exactly %d", wrong, p.UnfamiliarMaxCodes)
	}
	if lock == nil || lock.Kind != KindCode || lock.Until.Sub(f.now) > p.UserLockout {
		t.Fatalf("user lock = %+v", lock)
	}
	if d := f.check("alice", botAddr(999)); d.Allowed || d.Scopes[0] != ScopeUser {
		t.Errorf("a new unfamiliar address during the lock: %+v", d)
	}
	if d := f.check("alice", home); !d.Allowed {
		t.Errorf("the familiar address was refused: %+v", d)
	}
	if d := f.check("bob", botAddr(999)); !d.Allowed {
		t.Errorf("another user was refused: %+v", d)
	}
	t.Logf("checked %d wrong codes, refused %d further attempts", wrong, refused)
}

// TestSpreadPasswordGuessesLockUser: the same for passwords, at 20, and the
// lock grows when the guessing resumes after it.
func TestSpreadPasswordGuessesLockUser(t *testing.T) {
	p := DefaultPolicy()
	f := newFixture(t, p)
	var locks []Lockout
	wrong, waited := 0, false
	for i := range 60 {
		for range 4 {
			f.now = f.now.Add(time.Second)
			if !f.check("alice", botAddr(i)).Allowed {
				continue
			}
			wrong++
			for _, lk := range f.fail("alice", botAddr(i)) {
				if lk.Scope == ScopeUser {
					locks = append(locks, lk)
				}
			}
		}
		if len(locks) == 1 && !waited {
			// Wait the lock and the window out, then guess again.
			f.now = start.Add(p.Window)
			waited = true
		}
	}
	if len(locks) < 2 || locks[0].Kind != KindPassword || locks[0].Level != 1 || locks[1].Level != 2 {
		t.Fatalf("locks = %+v", locks)
	}
	if wrong != 2*p.UnfamiliarMaxPasswords {
		t.Errorf("%d wrong passwords checked, want %d (two rounds)", wrong, 2*p.UnfamiliarMaxPasswords)
	}
}

// TestFamiliarFailuresNotCountedUserWide: the user's own typos at a familiar
// address do not count towards the unfamiliar limit.
func TestFamiliarFailuresNotCountedUserWide(t *testing.T) {
	p := DefaultPolicy()
	f := newFixture(t, p)
	if err := f.l.Succeed(f.ctx, "alice", addrB, f.now); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		for range p.MaxFailures - 1 {
			f.fail("alice", addrB)
		}
		if err := f.l.Succeed(f.ctx, "alice", addrB, f.now); err != nil {
			t.Fatal(err)
		}
	}
	for range p.UnfamiliarMaxPasswords - 1 {
		f.now = f.now.Add(time.Second)
		f.fail("alice", botAddr(int(f.now.Unix()%200)))
	}
	if d := f.check("alice", botAddr(201)); !d.Allowed {
		t.Fatalf("locked before %d unfamiliar failures: %+v", p.UnfamiliarMaxPasswords, d)
	}
}

// TestReserveNoBurst: 30 parallel attempts for 30 users from one address
// against a per-address limit of 20: exactly 20 are checked, whatever the
// interleaving, and the address is locked after them.
func TestReserveNoBurst(t *testing.T) {
	p := DefaultPolicy()
	p.PerAddressMaxFailures = 20
	f := newFixture(t, p)
	var wg sync.WaitGroup
	var mu sync.Mutex
	checked := 0
	var addrLocks int
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, d, err := f.l.Reserve(f.ctx, fmt.Sprintf("user%d", i), addrA, KindPassword, f.now)
			if err != nil {
				t.Error(err)
				return
			}
			if !d.Allowed {
				return
			}
			time.Sleep(5 * time.Millisecond) // the argon2id/LDAP check
			out, err := f.l.Fail(f.ctx, r)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			checked++
			for _, lk := range out {
				if lk.Scope == ScopeAddr {
					addrLocks++
				}
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if checked != 20 {
		t.Errorf("%d attempts were checked, want exactly 20", checked)
	}
	if addrLocks != 1 {
		t.Errorf("%d address locks, want 1", addrLocks)
	}
	if d := f.check("user99", addrA); d.Allowed {
		t.Error("address not locked after the burst")
	}
}

// TestPassGivesBack: a right credential does not count, so four typos, a
// success of the first factor and one more typo do not lock.
func TestPassGivesBack(t *testing.T) {
	p := DefaultPolicy()
	f := newFixture(t, p)
	for range p.MaxFailures - 1 {
		f.fail("alice", addrA)
	}
	r, d, err := f.l.Reserve(f.ctx, "alice", addrA, KindPassword, f.now)
	if err != nil || !d.Allowed {
		t.Fatal(d, err)
	}
	if err := f.l.Pass(f.ctx, r); err != nil {
		t.Fatal(err)
	}
	if out := f.fail("alice", addrA); len(out) != 1 || out[0].Scope != ScopePair {
		t.Fatalf("5th failure: %+v", out)
	}
	if n, _ := f.db.RecordFailure(f.ctx, unfamiliarKey("alice", KindPassword), f.now, p.Window); n != p.MaxFailures+1 {
		t.Errorf("unfamiliar count after 5 failures and a pass = %d, want %d", n-1, p.MaxFailures)
	}
}

// TestLimitsHoldPerWindow: an attacker retrying once a second from a fresh
// unfamiliar address each time gets exactly the documented number of wrong
// codes per window (10), not a new allowance each time a short lock ends,
// and over a day no more than one allowance per window.
func TestLimitsHoldPerWindow(t *testing.T) {
	p := DefaultPolicy()
	f := newFixture(t, p)
	checkedIn := func(d time.Duration) int {
		n := 0
		for end := f.now.Add(d); f.now.Before(end); f.now = f.now.Add(time.Second) {
			if len(f.failKind("alice", botAddr(int(f.now.Unix()%60000)), KindCode)) >= 0 && f.lastAllowed {
				n++
			}
		}
		return n
	}
	if n := checkedIn(p.Window); n != p.UnfamiliarMaxCodes {
		t.Errorf("%d wrong codes checked in the first window, want %d", n, p.UnfamiliarMaxCodes)
	}
	day := checkedIn(24 * time.Hour)
	if max := p.UnfamiliarMaxCodes * int(24*time.Hour/p.Window); day > max {
		t.Errorf("%d wrong codes checked in a day, more than one allowance per window (%d)", day, max)
	}
	t.Logf("wrong codes checked: %d in the first window, %d in the next 24 h", p.UnfamiliarMaxCodes, day)
}
