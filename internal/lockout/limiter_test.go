package lockout

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store/sqlitestore"
)

var (
	addrA = netip.MustParseAddr("198.51.100.7")
	addrB = netip.MustParseAddr("203.0.113.9")
	start = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
)

// fixture is a Limiter over a real SQLite store with a fake clock.
type fixture struct {
	t   testing.TB
	ctx context.Context
	db  *sqlitestore.DB
	l   *Limiter
	now time.Time
	// lastAllowed says whether the last fail/failKind was checked (not
	// refused).
	lastAllowed bool
}

func newFixture(t testing.TB, p Policy) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "lock.db"), sqlitestore.Options{Serve: serveStore})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := New(db, p)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, ctx: ctx, db: db, l: l, now: start}
}

// check asks whether an attempt would be allowed now, without counting
// it: a reservation given straight back.
func (f *fixture) check(user string, a netip.Addr) Decision {
	f.t.Helper()
	r, d, err := f.l.Reserve(f.ctx, user, a, KindPassword, f.now)
	if err != nil {
		f.t.Fatal(err)
	}
	if r != nil {
		if err := f.l.Pass(f.ctx, r); err != nil {
			f.t.Fatal(err)
		}
	}
	return d
}

// fail is one wrong password: reserved, checked (wrong), settled. A refused
// attempt imposes nothing.
func (f *fixture) fail(user string, a netip.Addr) []Lockout {
	f.t.Helper()
	return f.failKind(user, a, KindPassword)
}

func (f *fixture) failKind(user string, a netip.Addr, k Kind) []Lockout {
	f.t.Helper()
	r, d, err := f.l.Reserve(f.ctx, user, a, k, f.now)
	if err != nil {
		f.t.Fatal(err)
	}
	f.lastAllowed = d.Allowed
	if !d.Allowed {
		return nil
	}
	out, err := f.l.Fail(f.ctx, r)
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// failUntilLocked fails until a pair lock appears and returns it.
func (f *fixture) failUntilLocked(user string, a netip.Addr) []Lockout {
	f.t.Helper()
	for i := 0; i < 100; i++ {
		if d := f.check(user, a); !d.Allowed {
			f.t.Fatalf("refused before the lock: %+v", d)
		}
		if out := f.fail(user, a); len(out) > 0 {
			return out
		}
	}
	f.t.Fatal("never locked")
	return nil
}

func TestLockAfterMaxFailures(t *testing.T) {
	f := newFixture(t, DefaultPolicy())
	for i := 1; i < 5; i++ {
		if out := f.fail("alice", addrA); len(out) != 0 {
			t.Fatalf("locked after %d failures: %+v", i, out)
		}
		if !f.check("alice", addrA).Allowed {
			t.Fatalf("refused after %d failures", i)
		}
	}
	out := f.fail("alice", addrA)
	if len(out) != 1 || out[0].Scope != ScopePair || out[0].Level != 1 || !out[0].Until.Equal(f.now.Add(time.Minute)) {
		t.Fatalf("5th failure: %+v", out)
	}
	d := f.check("alice", addrA)
	if d.Allowed || d.RetryAfter != time.Minute || len(d.Scopes) != 1 || d.Scopes[0] != ScopePair {
		t.Fatalf("Check while locked = %+v", d)
	}
	if !f.check("alice", addrB).Allowed || !f.check("bob", addrA).Allowed {
		t.Error("pair lock leaked to another address or user")
	}
	// The lock ends after a minute, but the limit holds per window: no new
	// allowance until the window that began with the first failure is over.
	f.now = f.now.Add(time.Minute)
	if f.check("alice", addrA).Allowed {
		t.Error("a short lock ending gave a new allowance within the window")
	}
	f.now = start.Add(DefaultPolicy().Window)
	if !f.check("alice", addrA).Allowed {
		t.Error("still refused after the window")
	}
}

func TestLockPeriodsGrowAndCap(t *testing.T) {
	f := newFixture(t, DefaultPolicy())
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60}
	for i, w := range want {
		round := f.now
		out := f.failUntilLocked("alice", addrA)
		got := out[0].Until.Sub(f.now)
		if out[0].Scope != ScopePair || got != w*time.Minute || out[0].Level != i+1 {
			t.Fatalf("lock %d: %+v lasting %v; want %v", i+1, out[0], got, w*time.Minute)
		}
		// The attacker retries the moment both the lock and the window
		// of this round's count have ended.
		f.now = out[0].Until
		if end := round.Add(DefaultPolicy().Window); end.After(f.now) {
			f.now = end
		}
	}
	// A quiet window after the last lock ended: back to the base period.
	f.now = f.now.Add(DefaultPolicy().Window)
	if out := f.failUntilLocked("alice", addrA); out[0].Level != 1 || out[0].Until.Sub(f.now) != time.Minute {
		t.Fatalf("after a quiet window: %+v", out[0])
	}
}

func TestPerAddressLimitIsolation(t *testing.T) {
	p := DefaultPolicy()
	p.PerAddressMaxFailures = 10
	f := newFixture(t, p)
	// A success from A with the attacker's own account in the middle of the
	// spraying must not reset A's count.
	var addrLock *Lockout
	for i := 0; i < 10; i++ {
		if i == 5 {
			if err := f.l.Succeed(f.ctx, "mallory", addrA, f.now); err != nil {
				t.Fatal(err)
			}
		}
		for _, lk := range f.fail(fmt.Sprintf("user%d", i), addrA) {
			if lk.Scope == ScopeAddr {
				addrLock = &lk
			}
		}
	}
	if addrLock == nil || addrLock.Until.Sub(f.now) != p.BaseLockout {
		t.Fatalf("spraying from A: address lock %+v", addrLock)
	}
	if d := f.check("somebody", addrA); d.Allowed || d.Scopes[0] != ScopeAddr {
		t.Errorf("A not refused for another user: %+v", d)
	}
	if !f.check("user1", addrB).Allowed {
		t.Error("address lock of A refused a user at B")
	}
	// Spraying on right after the lock and the window: the next address
	// lock is longer.
	f.now = start.Add(p.Window)
	var next []Lockout
	for i := 0; i < 10; i++ {
		next = f.fail(fmt.Sprintf("other%d", i), addrA)
	}
	if len(next) != 1 || next[0].Scope != ScopeAddr || next[0].Level != 2 || next[0].Until.Sub(f.now) != 2*p.BaseLockout {
		t.Errorf("second address lock: %+v", next)
	}
}

func TestSucceedClearsPairOnly(t *testing.T) {
	f := newFixture(t, DefaultPolicy())
	for range 4 {
		f.fail("alice", addrA)
	}
	f.l.Succeed(f.ctx, "alice", addrA, f.now)
	for i := range 4 {
		if out := f.fail("alice", addrA); len(out) != 0 {
			t.Fatalf("failure %d after success locked: %+v", i+1, out)
		}
	}
}

func TestUserNamesAndIPv6Normalised(t *testing.T) {
	f := newFixture(t, DefaultPolicy())
	names := []string{"Alice", "alice ", "ALICE", "alice", "aLiCe"}
	v6 := []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::9", "2001:db8:1:2::3", "2001:db8:1:2::4"}
	for i := range 5 {
		f.fail(names[i], netip.MustParseAddr(v6[i]))
	}
	if f.check("alice", netip.MustParseAddr("2001:db8:1:2::77")).Allowed {
		t.Error("case variants or one /64 escaped the pair lock")
	}
	if !f.check("alice", netip.MustParseAddr("2001:db8:1:3::1")).Allowed {
		t.Error("another /64 was refused")
	}
}

func TestUnlockAndList(t *testing.T) {
	p := DefaultPolicy()
	f := newFixture(t, p)
	odd := `we"ird_%user`
	for _, a := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"} {
		f.failUntilLocked(odd, netip.MustParseAddr(a))
	}
	f.failUntilLocked("bob", addrA)
	locks, err := Locks(f.ctx, f.db, f.now)
	if err != nil {
		t.Fatal(err)
	}
	var user, pairs int
	for _, lk := range locks {
		switch {
		case lk.Scope == ScopeUser && lk.User == odd:
			user++
		case lk.Scope == ScopePair && lk.User == odd:
			pairs++
		}
	}
	if user != 1 || pairs != 3 || len(locks) != 5 {
		t.Fatalf("Locks = %+v", locks)
	}
	if err := f.l.Unlock(f.ctx, strings.ToUpper(odd)); err != nil {
		t.Fatal(err)
	}
	if d := f.check(odd, netip.MustParseAddr("10.0.0.1")); !d.Allowed {
		t.Fatalf("after Unlock: %+v", d)
	}
	locks, _ = Locks(f.ctx, f.db, f.now)
	if len(locks) != 1 || locks[0].User != "bob" {
		t.Fatalf("Unlock touched other users: %+v", locks)
	}
	// Unlock also resets the levels: the next lock is a first lock again.
	if out := f.failUntilLocked(odd, netip.MustParseAddr("10.0.0.1")); out[0].Level != 1 {
		t.Errorf("level after unlock: %+v", out)
	}
	if err := f.l.UnlockAddr(f.ctx, addrA); err != nil {
		t.Fatal(err)
	}
}

func TestPolicyValidate(t *testing.T) {
	if err := DefaultPolicy().Validate(); err != nil {
		t.Fatal(err)
	}
	err := Policy{MaxFailures: 0, UserLockAddresses: 1, MaxLockout: -1}.Validate()
	for _, field := range []string{"max_failures", "user_lock_addresses", "base_lockout", "window", "user_lockout", "max_lockout"} {
		if err == nil || !strings.Contains(err.Error(), field+":") {
			t.Errorf("Validate does not report %s: %v", field, err)
		}
	}
	if _, err := New(nil, Policy{}); err == nil {
		t.Error("New accepted an invalid policy")
	}
}
