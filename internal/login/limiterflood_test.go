package login_test

import (
	"context"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/userfile"
)

// gatedSleep is a Limiter's decoy sleep that, while closed, waits for the
// test to open it: decoys as slow as the test needs, without measuring.
type gatedSleep struct {
	mu   sync.Mutex
	gate chan struct{} // nil: open
}

func (g *gatedSleep) sleep(time.Duration) {
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if gate != nil {
		<-gate
	}
}

func (g *gatedSleep) close() (open func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gate = make(chan struct{})
	return sync.OnceFunc(func() { close(g.gate) })
}

// limited is a setup whose users-file directory checks under lim.
func limited(lim *mfa.Limiter) setup {
	return setup{directory: func(d login.Directory) login.Directory {
		d.(*userfile.Directory).Limiter = lim
		return d
	}}
}

// holdPlaces takes every place of lim (a 1 GiB hash takes them all) until
// the returned function runs.
func holdPlaces(lim *mfa.Limiter) (release func()) {
	held, done := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = lim.RunFor(context.Background(), "$argon2id$v=19$m=1048576,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
			func() { close(held); <-done })
	})
	<-held
	return sync.OnceFunc(func() { close(done); wg.Wait() })
}

// TestRefusedFloodTakesNoLimiterPlace is the review's scenario (issue
// 10): a users-file directory with a real Limiter of one place; an
// address locked out of alice floods 50 refused guesses, all held in
// flight. Their decoys never queue on the Limiter (they sleep the
// calibrated cost instead), so alice's right password from her familiar
// address gets its place and her 303 while the flood is still in flight.
//
// Before the fix every decoy waited for the Limiter (Waiting() = 50) and
// alice's admitted check queued behind the whole flood, with no bound.
func TestRefusedFloodTakesNoLimiterPlace(t *testing.T) {
	g := &gatedSleep{}
	lim := mfa.NewLimiter(1, mfa.WithClock(time.Now, g.sleep))
	e := newEnv(t, limited(lim))
	readAutoPost(t, e.browser().signIn(signInURL(realm, "x")))

	a := fromAddr(e, "127.0.0.2")
	a.get(signInURL(realm, "a")).wantRedirect(t, login.PathLogin)
	for i := 0; !strings.Contains(e.audit.String(), "locked_out"); i++ {
		if i == 20 {
			t.Fatalf("the attacker was never locked out:\n%s", e.audit.String())
		}
		a.password("alice", "guess")
	}

	// The flood starts while a check holds the only place, so no decoy
	// can take it: each must sleep, and the test holds the sleeps.
	open := g.close()
	defer open()
	release := holdPlaces(lim)
	defer release()
	before := lim.Stats()
	const flood = 50
	statuses := make([]int, flood)
	var wg sync.WaitGroup
	for i := range flood {
		b := fromAddr(e, "127.0.0.2")
		b.get(signInURL(realm, "f")).wantRedirect(t, login.PathLogin)
		csrf := b.get(login.PathLogin).csrf(t)
		wg.Go(func() {
			statuses[i] = b.post(login.PathLogin, url.Values{"csrf": {csrf}, "username": {"alice"}, "password": {"guess"}}).status
		})
	}
	for lim.Stats().Sleeping < flood {
		if w := lim.Waiting(); w > 0 {
			open()
			release()
			wg.Wait()
			t.Fatalf("%d refused guesses queued on the Limiter, want none", w)
		}
		runtime.Gosched()
	}
	release()

	alice := e.browser()
	alice.get(signInURL(realm, "y")).wantRedirect(t, login.PathLogin)
	if p := alice.password("alice", alicePassword); p.status != http.StatusSeeOther {
		t.Errorf("alice's right password during the flood: %d, want 303 to the code step\n%s", p.status, e.log.String())
	}
	st := lim.Stats()
	if st.Sleeping != flood || lim.Waiting() != 0 {
		t.Errorf("with alice signed in: %d decoys sleeping, %d waiting; want %d, 0", st.Sleeping, lim.Waiting(), flood)
	}
	// The holder and alice's check ran; no decoy derived.
	if ran := st.Ran - before.Ran; ran != 2 {
		t.Errorf("%d derivations during the flood, want 2 (the holder, alice)", ran)
	}
	open()
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusOK {
			t.Errorf("refused guess %d: %d, want the wrong-password page (200)", i, s)
		}
	}
}

// TestAdmittedCheckBusyAnswersTryLater: an admitted check that finds no
// Limiter place within its MaxWait answers 503 "try again later" and
// counts nothing (no failure, no audit record of a check); once the place
// is free the same password signs in.
func TestAdmittedCheckBusyAnswersTryLater(t *testing.T) {
	lim := mfa.NewLimiter(1, mfa.WithMaxWait(time.Millisecond))
	e := newEnv(t, limited(lim))
	release := holdPlaces(lim)
	defer release()
	b := e.browser()
	b.get(signInURL(realm, "x")).wantRedirect(t, login.PathLogin)
	p := b.password("alice", "wrong password")
	if p.status != http.StatusServiceUnavailable {
		t.Fatalf("check with the Limiter full: %d, want 503", p.status)
	}
	e.throttle.mu.Lock()
	fails := e.throttle.fail
	e.throttle.mu.Unlock()
	if fails != 0 {
		t.Errorf("%d failures counted for a check that never ran", fails)
	}
	if a := e.audit.String(); strings.Contains(a, "first_factor") {
		t.Errorf("a check that never ran was audited:\n%s", a)
	}
	release()
	b.password("alice", alicePassword).wantRedirect(t, login.PathCode)
}
