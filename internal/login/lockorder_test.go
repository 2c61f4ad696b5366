package login_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/sqlitestore"
)

// fromAddr is a browser whose connections come from ip (a loopback address
// other than 127.0.0.1), so the lockout sees another client.
func fromAddr(e *env, ip string) *browser {
	b := e.browser()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	b.c.Transport = &http.Transport{DialContext: d.DialContext}
	return b
}

// gatedDecoy is the directory with a decoy check (the work a locked-out
// attempt spends) that, while closed, signals entered and waits for open:
// a decoy as slow as the test needs, without measuring time.
type gatedDecoy struct {
	login.Directory
	mu      sync.Mutex
	gate    chan struct{} // nil: open
	entered chan struct{}
}

func (g *gatedDecoy) SpendCheck(context.Context, string, string) {
	g.mu.Lock()
	gate, entered := g.gate, g.entered
	g.mu.Unlock()
	if gate == nil {
		return
	}
	entered <- struct{}{}
	<-gate
}

func (g *gatedDecoy) close() (entered <-chan struct{}, open func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gate, g.entered = make(chan struct{}), make(chan struct{}, 64)
	return g.entered, sync.OnceFunc(func() { close(g.gate) })
}

// TestLockedOutFloodDoesNotStarveTheUser: an attacker locked out of alice
// from another address keeps posting guesses on both instances; each
// refused guess spends its decoy check (here: until the test lets it
// end). Alice's own password, from her familiar address, still signs her
// in: refused attempts hold no lock, so she does not wait behind them.
//
// Before the fix the refused guesses held alice's user lock through their
// decoy, and her password was answered 503 "try again later" once the
// lock's MaxWait passed (the review measured it with 300 connections
// from one locked address and a real decoy: 503 after 10 s).
func TestLockedOutFloodDoesNotStarveTheUser(t *testing.T) {
	var decoys []*gatedDecoy
	s := setup{directory: func(d login.Directory) login.Directory {
		g := &gatedDecoy{Directory: d}
		decoys = append(decoys, g)
		return g
	}}
	envs := instances(t, 2, s, &verifications{}, func(_ int, db *sqlitestore.DB) login.Locker {
		return store.NewLocker(db, store.LockerOptions{MaxWait: time.Second})
	})
	// alice signs in once from 127.0.0.1: her address is familiar.
	readAutoPost(t, envs[1].browser().signIn(signInURL(realm, "x")))

	// The attacker's address gets locked out of alice.
	a := fromAddr(envs[0], "127.0.0.2")
	a.get(signInURL(realm, "a")).wantRedirect(t, login.PathLogin)
	for i := 0; !strings.Contains(envs[0].audit.String(), "locked_out"); i++ {
		if i == 20 {
			t.Fatalf("the attacker was never locked out:\n%s", envs[0].audit.String())
		}
		a.password("alice", "guess")
	}

	// The flood: refused guesses on both instances, their decoys held.
	var entered []<-chan struct{}
	var opens []func()
	for _, d := range decoys {
		e, open := d.close()
		entered, opens = append(entered, e), append(opens, open)
	}
	openAll := func() {
		for _, open := range opens {
			open()
		}
	}
	defer openAll()
	const attackers = 8
	statuses := make([]int, attackers)
	var wg sync.WaitGroup
	for i := range attackers {
		b := fromAddr(envs[i%2], "127.0.0.2")
		b.get(signInURL(realm, "f")).wantRedirect(t, login.PathLogin)
		csrf := b.get(login.PathLogin).csrf(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = b.post(login.PathLogin, url.Values{"csrf": {csrf}, "username": {"alice"}, "password": {"guess"}}).status
		}()
	}
	select { // at least one refused guess is inside its decoy
	case <-entered[0]:
	case <-entered[1]:
	}

	alice := envs[1].browser()
	alice.get(signInURL(realm, "y")).wantRedirect(t, login.PathLogin)
	if p := alice.password("alice", alicePassword); p.status != http.StatusSeeOther {
		t.Fatalf("alice's right password during the flood: %d, want 303 to the code step\n%s", p.status, envs[1].log.String())
	}
	openAll()
	wg.Wait()
	for i, st := range statuses {
		if st != http.StatusOK {
			t.Errorf("refused guess %d: %d, want the wrong-password page (200)", i, st)
		}
	}
}

// countedLeases counts the leases asked of the store.
type countedLeases struct {
	store.LeaseStore
	takes atomic.Int64
}

func (c *countedLeases) TakeLease(ctx context.Context, key, owner string, now time.Time, ttl time.Duration) (bool, error) {
	c.takes.Add(1)
	return c.LeaseStore.TakeLease(ctx, key, owner, now, ttl)
}

// TestAnonymousPostTakesNoLease: a password POST without a live session
// or without its CSRF token is refused before any lock, so it writes no
// lease row (before, each wrote two: a session's and the user's).
func TestAnonymousPostTakesNoLease(t *testing.T) {
	var cl *countedLeases
	envs := instances(t, 1, setup{}, &verifications{}, func(_ int, db *sqlitestore.DB) login.Locker {
		cl = &countedLeases{LeaseStore: db}
		return store.NewLocker(cl, store.LockerOptions{})
	})
	b := envs[0].browser()
	form := url.Values{"username": {"alice"}, "password": {"x"}}
	if p := b.post(login.PathLogin, form); p.status == http.StatusSeeOther || p.status == http.StatusServiceUnavailable {
		t.Fatalf("POST without a cookie: %d", p.status)
	}
	b.setSessionCookie("forged-cookie-value")
	b.post(login.PathLogin, form)
	b.get(signInURL(realm, "x")).wantRedirect(t, login.PathLogin)
	if p := b.post(login.PathLogin, form); p.status != http.StatusForbidden {
		t.Fatalf("POST without the CSRF token: %d, want 403", p.status)
	}
	if n := cl.takes.Load(); n != 0 {
		t.Fatalf("%d leases taken for POSTs without a session or CSRF token, want 0", n)
	}
	// A real attempt takes the locks (the count is not vacuous).
	b.password("alice", "wrong")
	if cl.takes.Load() == 0 {
		t.Fatal("a real attempt took no lease")
	}
}

// lossyLocker hands out user locks that are already lost while lose is
// set, as store.Locker does for a lease it could not renew. (The session's
// lock stays: a lock under a lost one could not even be asked for.)
type lossyLocker struct {
	next login.Locker
	lose atomic.Bool
}

func (l *lossyLocker) Lock(ctx context.Context, key string) (context.Context, func(), error) {
	held, release, err := l.next.Lock(ctx, key)
	if err != nil || !l.lose.Load() || !strings.HasPrefix(key, "user\x00") {
		return held, release, err
	}
	lost, cancel := context.WithCancelCause(held)
	cancel(store.ErrLeaseLost)
	return lost, release, nil
}

// TestLostLockWritesNothing: a request whose lock is lost before it writes
// the session answers "try again later" and the session does not move
// on; with the lock kept, the same sign-in goes on.
func TestLostLockWritesNothing(t *testing.T) {
	var l *lossyLocker
	v := &verifications{}
	envs := instances(t, 1, setup{}, v, func(_ int, db *sqlitestore.DB) login.Locker {
		l = &lossyLocker{next: storeLockers(0, db)}
		return l
	})
	e := envs[0]
	b := e.browser()
	b.get(signInURL(realm, "x")).wantRedirect(t, login.PathLogin)
	l.lose.Store(true)
	if p := b.password("alice", alicePassword); p.status != http.StatusServiceUnavailable {
		t.Fatalf("right password with the lock lost: %d, want 503", p.status)
	}
	if !strings.Contains(e.log.String(), "lock lost") {
		t.Errorf("the log does not say the lock was lost:\n%s", e.log.String())
	}
	b.get(login.PathLogin).wantStatus(t, http.StatusOK) // still at the password step
	l.lose.Store(false)
	b.password("alice", alicePassword).wantRedirect(t, login.PathCode)
	csrf := b.get(login.PathCode).csrf(t)
	l.lose.Store(true)
	if p := b.enterCodeRaw(csrf, "000000"); p.status != http.StatusServiceUnavailable {
		t.Fatalf("wrong code with the lock lost: %d, want 503", p.status)
	}
	l.lose.Store(false)
	readAutoPost(t, b.enterCodeRaw(csrf, e.code()))
}

// failingDelete fails DeleteSession while down is set.
type failingDelete struct {
	login.Sessions
	down *atomic.Bool
}

func (f failingDelete) DeleteSession(ctx context.Context, id string) error {
	if f.down.Load() {
		return errors.New("connection refused")
	}
	return f.Sessions.DeleteSession(ctx, id)
}

// TestSignOutWhenDeleteFails: a sign-out whose session delete fails says
// "try again later" (503), not "signed out", writes no sign_out record
// and keeps the cookie; once the store is back, signing out works and the
// old cookie gets no token.
func TestSignOutWhenDeleteFails(t *testing.T) {
	var down atomic.Bool
	e := newEnv(t, setup{sessions: func(s login.Sessions) login.Sessions { return failingDelete{s, &down} }})
	b := e.browser()
	readAutoPost(t, b.signIn(signInURL(realm, "x")))
	cookie := b.sessionCookie()
	down.Store(true)
	p := b.get(login.PathWSFed + "?wa=wsignout1.0")
	if p.status != http.StatusServiceUnavailable || strings.Contains(p.body, "igned out") {
		t.Fatalf("sign-out with the delete failing: %d\n%s", p.status, p.body)
	}
	if strings.Contains(e.audit.String(), "sign_out") {
		t.Fatalf("a sign_out record for a sign-out that did not happen:\n%s", e.audit.String())
	}
	if b.sessionCookie() != cookie {
		t.Fatal("the cookie of a session that was not deleted was cleared")
	}
	down.Store(false)
	if p := b.get(login.PathWSFed + "?wa=wsignout1.0"); p.status != http.StatusOK || !strings.Contains(e.audit.String(), "sign_out") {
		t.Fatalf("sign-out with the store back: %d", p.status)
	}
	thief := e.browser()
	thief.setSessionCookie(cookie)
	if q := thief.get(signInURL(realm, "y")); strings.Contains(q.body, `name="wresult"`) {
		t.Fatal("the old cookie still gets a token after the sign-out")
	}
}
