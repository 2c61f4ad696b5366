package lockout

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// natFixture is a fixture with n users who have each signed in from addrA
// before, so addrA is familiar to all of them: an office behind one NAT.
func natFixture(t *testing.T, n int) (*fixture, []string) {
	t.Helper()
	f := newFixture(t, DefaultPolicy())
	users := make([]string, n)
	for i := range users {
		users[i] = fmt.Sprintf("staff%d", i)
		if err := f.l.Succeed(f.ctx, users[i], addrA, f.now); err != nil {
			t.Fatal(err)
		}
	}
	return f, users
}

// TestNATBurstIsNotRefused: 32 users behind one address, each familiar
// there, sign in at the same moment (more than per_address_max_failures,
// 20): every attempt is allowed, because attempts still being checked are
// not failures. Before the fix the 21st to 32nd were refused as locked out.
func TestNATBurstIsNotRefused(t *testing.T) {
	f, users := natFixture(t, 32)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var refused []string
	start := make(chan struct{})
	held := make(chan *Reservation, len(users))
	for _, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, d, err := f.l.Reserve(f.ctx, u, addrA, KindPassword, f.now)
			if err != nil {
				t.Error(err)
				return
			}
			if !d.Allowed {
				mu.Lock()
				refused = append(refused, fmt.Sprintf("%s %v", u, d.Scopes))
				mu.Unlock()
				return
			}
			held <- r // all in flight together: nobody settles before all reserved
		}()
	}
	close(start)
	wg.Wait()
	close(held)
	if len(refused) > 0 {
		t.Fatalf("%d of %d familiar users behind one address refused: %v", len(refused), len(users), refused)
	}
	for r := range held {
		if err := f.l.Pass(f.ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if d := f.check("someone-new", addrA); !d.Allowed {
		t.Errorf("address refused after 32 right passwords: %+v", d)
	}
}

// TestNATFailuresStillLockTheAddress: the failures of familiar users do
// count towards the address limit once settled, so the 20th wrong password
// from the address locks it for everyone, and failures that were in flight
// when it locked do not lengthen the lock.
func TestNATFailuresStillLockTheAddress(t *testing.T) {
	f, users := natFixture(t, 30)
	p := DefaultPolicy()
	for i := range p.PerAddressMaxFailures - 1 {
		if out := f.fail(users[i], addrA); len(out) != 0 || !f.lastAllowed {
			t.Fatalf("failure %d: allowed %v, locks %+v; want allowed, no lock", i+1, f.lastAllowed, out)
		}
	}
	// Ten more attempts are in flight together; the first to settle is
	// the 20th failure and locks the address at level 1, the others find
	// the lock set.
	var rs []*Reservation
	for _, u := range users[p.PerAddressMaxFailures-1:] {
		r, d, err := f.l.Reserve(f.ctx, u, addrA, KindPassword, f.now)
		if err != nil || !d.Allowed {
			t.Fatalf("%s: %+v %v", u, d, err)
		}
		rs = append(rs, r)
	}
	var locks []Lockout
	for _, r := range rs {
		out, err := f.l.Fail(f.ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		for _, lk := range out {
			if lk.Scope == ScopeAddr {
				locks = append(locks, lk)
			}
		}
	}
	if len(locks) != 1 || locks[0].Level != 1 || !locks[0].Until.Equal(f.now.Add(p.BaseLockout)) {
		t.Fatalf("address locks %+v; want exactly one, level 1, for %v", locks, p.BaseLockout)
	}
	for _, u := range []string{users[0], "someone-new"} {
		if d := f.check(u, addrA); d.Allowed || len(d.Scopes) != 1 || d.Scopes[0] != ScopeAddr {
			t.Errorf("%s after the address lock: %+v; want refused by the address lock", u, d)
		}
	}
	// Per window, not per lock: the lock ending gives the familiar users
	// no new allowance within the window; the window's end does.
	f.now = f.now.Add(p.BaseLockout + time.Second)
	if d := f.check(users[0], addrA); d.Allowed {
		t.Errorf("familiar user after the lock ended, within the window: allowed; want refused until the window ends")
	}
	f.now = start.Add(p.Window + time.Second)
	if d := f.check(users[0], addrA); !d.Allowed {
		t.Errorf("after the window: %+v", d)
	}
}

// TestNATInsiderBurstIsBounded: someone behind the office NAT (familiar to
// all 200 colleagues) sends a wrong password for each of them at once.
// Attempts in flight from there are capped (64: twice the address limit,
// at least 64), and once the failures reached the limit nothing more is
// checked in the window, lock or no lock. Found by review: before, all
// 200 were checked in the first burst and 200 more after every lock
// expiry.
func TestNATInsiderBurstIsBounded(t *testing.T) {
	f, users := natFixture(t, 200)
	p := DefaultPolicy()
	burst := func() int {
		var rs []*Reservation
		for _, u := range users { // all reserved before any is settled: the worst interleaving
			r, d, err := f.l.Reserve(f.ctx, u, addrA, KindPassword, f.now)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed {
				rs = append(rs, r)
			}
		}
		for _, r := range rs {
			if _, err := f.l.Fail(f.ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		return len(rs)
	}
	if n := burst(); n != flightLimit(p.PerAddressMaxFailures) {
		t.Errorf("first burst: %d wrong passwords checked, want the in-flight cap %d", n, flightLimit(p.PerAddressMaxFailures))
	}
	total := 0
	for i := range 3 { // the locks of 1, 2 and 4 minutes, all ending within the 15-minute window
		f.now = f.now.Add(p.BaseLockout<<i + time.Second)
		total += burst()
	}
	if total != 0 {
		t.Errorf("%d more wrong passwords checked after the locks ended within the window, want 0", total)
	}
	f.now = start.Add(p.Window + time.Second)
	if n := burst(); n == 0 {
		t.Error("nothing checked in the next window")
	}
}
