package login_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/login"
)

// TestAdmissionShareOneAddress: one address cannot keep the unfamiliar
// budget to itself. An attacker with an account of their own (a right
// password counts towards no limit) holds one check in flight and sends
// another for the same account, which would sit in the budget's second
// place waiting for the account's lock; instead it waits in the queue
// (an address holds at most half the budget), and a real user's first
// sign-in from another new address is checked at once. Found by review:
// before, two requests from one address pinned a budget of two and every
// first sign-in elsewhere got 503.
func TestAdmissionShareOneAddress(t *testing.T) {
	expire := make(chan time.Time)
	r := newRig(t, rigSetup{checks: 2, queue: 16, wait: time.Hour, after: func(time.Duration) <-chan time.Time { return expire }})
	const attacker = "203.0.113.7"
	r.dir.hold("asmith")
	release := sync.OnceFunc(func() { close(r.dir.release) })
	unexpire := sync.OnceFunc(func() { close(expire) })
	held := r.dir.held
	t.Cleanup(func() {
		// Whatever failed: let every held check report in and go on, so
		// the server can close.
		go func() {
			for range held {
			}
		}()
		unexpire()
		release()
	})
	start := func(client, user string) <-chan *page {
		b := r.browser()
		b.get(signInURL(realm, "share")).wantRedirect(t, login.PathLogin)
		csrf := b.get(login.PathLogin).csrf(t)
		out := make(chan *page, 1)
		go func() { out <- b.postFrom(client, user, alicePassword, csrf) }()
		return out
	}
	first := start(attacker, "asmith")
	<-held
	second := start(attacker, "asmith")
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: never happened; stats %+v", what, r.g.Stats())
			}
		}
	}
	waitFor("the attacker's second attempt queued", func() bool { return r.g.Stats().Waiting == 1 })
	if st := r.g.Stats(); st.InFlight != 1 {
		t.Fatalf("in flight %d with one address's check held, want 1 (its share)", st.InFlight)
	}
	real := start("198.51.100.20", "carol")
	waitFor("the real user's check", func() bool { return r.dir.authOf("carol") == 1 })
	if p := <-real; p.status != http.StatusOK && p.status != http.StatusSeeOther {
		t.Errorf("the real user's attempt answered %d", p.status)
	}
	go func() { <-held }() // the second attempt's check, held too, reports in
	release()
	(<-first).wantRedirect(t, login.PathCode)
	(<-second).wantRedirect(t, login.PathCode)
	if st := r.g.Stats(); st.InFlight != 0 || st.Waiting != 0 {
		t.Errorf("stats after all answered: %+v", st)
	}
}
