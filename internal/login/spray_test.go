package login_test

import (
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/lockout"
	"github.com/claimgate/claimgate/internal/login"
)

// normalized is a page with what differs per request (the request id, a
// CSRF token) blanked, and the names of the cookies it set: two answers
// that normalize alike cannot be told apart by their content.
func normalized(p *page) string {
	body := regexp.MustCompile(`<code>[^<]*</code>|value="[^"]*"`).ReplaceAllString(p.body, "")
	var cookies []string
	for _, c := range p.res.Cookies() {
		cookies = append(cookies, c.Name)
	}
	return p.res.Status + "\n" + p.res.Header.Get("Retry-After") + "\n" + strings.Join(cookies, ",") + "\n" + body
}

// lockPair fails user's password from client until the pair is locked.
func (r *rig) lockPair(client, user string) {
	r.t.Helper()
	for range lockout.DefaultMaxFailures {
		p, _ := r.attempt(client, user, "not it")
		p.wantStatus(r.t, http.StatusOK)
	}
}

// TestRefusedAttemptCostsTimeNotWork: once the pair is locked, an attempt
// (even with the right password) reaches no directory, derives no
// argon2id and writes nothing to the store; it sleeps instead, exactly as
// long as a real rejected check was measured to take, and answers the
// wrong-password page.
func TestRefusedAttemptCostsTimeNotWork(t *testing.T) {
	r := newRig(t, rigSetup{})
	r.giveAppPasswords("alice", 2)
	const client = "203.0.113.5"
	wrong, _ := r.attempt(client, "alice", "not it")
	r.lockPair(client, "alice")
	for _, pw := range []string{alicePassword, "still not it"} {
		p, c := r.attempt(client, "alice", pw)
		if c.dir != 0 || c.derived != 0 || c.appPaced != 0 || c.writes != 0 {
			t.Errorf("refused attempt (%q): %d directory calls, %d argon2id, %d app-password paces, %d store writes; want none", pw, c.dir, c.derived, c.appPaced, c.writes)
		}
		if c.refusedPaced != 1 || len(c.slept) != 1 || c.slept[0] != guardStep {
			t.Errorf("refused attempt (%q): paced %d, slept %v; want one sleep of a measured check (%v)", pw, c.refusedPaced, c.slept, guardStep)
		}
		if normalized(p) != normalized(wrong) {
			t.Errorf("refused attempt (%q) answers differently from a wrong password:\n%s\nvs\n%s", pw, normalized(p), normalized(wrong))
		}
	}
}

// TestWrongPasswordWithoutAppPasswordsDerivesNothing: a wrong password
// for a user with no app passwords costs no argon2id in the app-password
// check: it sleeps what a real one took (3 readings of the Limiter's
// clock). One for a user who has some derives once.
func TestWrongPasswordWithoutAppPasswordsDerivesNothing(t *testing.T) {
	r := newRig(t, rigSetup{})
	r.giveAppPasswords("alice", 5)
	if _, c := r.attempt("", "alice", "not it"); c.derived != 1 || c.appPaced != 0 {
		t.Fatalf("wrong password, 5 app passwords: %d argon2id, %d paces; want 1 and 0", c.derived, c.appPaced)
	}
	_, c := r.attempt("", "bob", "not it")
	if c.derived != 0 || c.appPaced != 1 || len(c.appSlept) != 1 || c.appSlept[0] != 3*limStep {
		t.Errorf("wrong password, no app passwords: %d argon2id, %d paces, slept %v; want 0, 1 and [%v]", c.derived, c.appPaced, c.appSlept, 3*limStep)
	}
}

// busyRig is a rig whose one unfamiliar place is taken by a check of bob
// held in the directory; done ends it and returns its answer.
func busyRig(t *testing.T, rs rigSetup) (r *rig, done func() *page) {
	t.Helper()
	rs.checks = 1
	r = newRig(t, rs)
	// alice signs in from the peer's address (the code step, which
	// records the success, comes from it): familiar for her.
	r.signInFrom("")
	if rs.prepare != nil {
		rs.prepare(r)
	}
	r.dir.hold("bob")
	b := r.browser()
	b.get(signInURL(realm, "held")).wantRedirect(t, login.PathLogin)
	csrf := b.get(login.PathLogin).csrf(t)
	answer := make(chan *page, 1)
	go func() { answer <- b.postFrom("198.51.100.1", "bob", "not it", csrf) }()
	<-r.dir.held
	release := r.dir.release
	done = sync.OnceValue(func() *page { close(release); return <-answer })
	// A test that fails before done must not leave the check held: the
	// server's Close would wait for it for ever.
	t.Cleanup(func() { done() })
	return r, done
}

// TestAdmissionBusyUnfamiliar: with the unfamiliar budget taken, an
// attempt from an unfamiliar address is answered 503 "busy" with
// Retry-After at once, checks nothing, reserves and writes nothing, and
// is audited; the page is the same for a name that exists, one that does
// not and one whose pair is locked (busy is decided before the lock is
// looked at). An attempt from a familiar address is checked as usual.
func TestAdmissionBusyUnfamiliar(t *testing.T) {
	const lockedFrom = "198.51.100.9"
	r, done := busyRig(t, rigSetup{prepare: func(r *rig) { r.lockPair(lockedFrom, "alice") }})
	var pages []*page
	for i, user := range []string{"nobody-here", "asmith", "alice", "nobody-here", "nobody-here", "nobody-here", "nobody-here", "nobody-here"} {
		client := "198.51.100.2"
		switch i {
		case 1:
			client = "198.51.100.3"
		case 2:
			client = lockedFrom
		}
		p, c := r.attempt(client, user, "not it")
		p.wantStatus(t, http.StatusServiceUnavailable)
		if p.res.Header.Get("Retry-After") != "5" || !strings.Contains(p.body, "try again in a moment") {
			t.Errorf("busy answer: Retry-After %q, body without the busy message", p.res.Header.Get("Retry-After"))
		}
		if c.dir != 0 || c.derived != 0 || c.appPaced != 0 || c.refusedPaced != 0 || c.writes != 0 {
			t.Errorf("busy answer for %s did work: %+v", user, c)
		}
		pages = append(pages, p)
	}
	for i, what := range []string{"an existing user", "a locked pair"} {
		if normalized(pages[0]) != normalized(pages[i+1]) {
			t.Errorf("busy pages differ for an unknown user and %s:\n%s\nvs\n%s", what, normalized(pages[0]), normalized(pages[i+1]))
		}
	}
	if got := r.g.Stats().Busy; got != int64(len(pages)) {
		t.Errorf("busy count %d, want %d", got, len(pages))
	}
	if n := strings.Count(r.audit.String(), `"reason":"busy"`); n != len(pages) {
		t.Errorf("%d busy audit records, want %d:\n%s", n, len(pages), r.audit.String())
	}
	// Familiar addresses do not wait for the budget.
	if p, c := r.attempt("", "alice", "not it"); c.dirChecks != 1 || p.status != http.StatusOK {
		t.Errorf("familiar attempt with the budget full: %d directory checks, want 1 (checked)", c.dirChecks)
	}
	done().wantStatus(t, http.StatusOK)
	// Busy answers from one address for one name, more than the pair's
	// limit: none was counted, so the next attempt is still checked.
	if _, c := r.attempt("198.51.100.2", "nobody-here", "not it"); c.dirChecks != 1 || c.refusedPaced != 0 {
		t.Errorf("after busy answers: %+v; want the attempt checked (busy attempts are not counted)", c)
	}
}

// TestAdmissionQueue: with the budget taken, one more unfamiliar attempt
// waits in the queue (of 1) and is checked when the place comes free; one
// beyond the queue is held back for the queue's wait (a tarpit) and then
// answered busy, having checked nothing; so is a waiter whose wait ends.
func TestAdmissionQueue(t *testing.T) {
	expire := make(chan time.Time)
	r, done := busyRig(t, rigSetup{queue: 1, wait: time.Hour, after: func(time.Duration) <-chan time.Time { return expire }})
	// post starts an attempt for asmith from client and waits (a bound on
	// a wait that must end, not a timing assertion) until until() holds.
	post := func(client string, until func(login.SprayStats) bool) <-chan *page {
		b := r.browser()
		b.get(signInURL(realm, "q")).wantRedirect(t, login.PathLogin)
		csrf := b.get(login.PathLogin).csrf(t)
		out := make(chan *page, 1)
		go func() { out <- b.postFrom(client, "asmith", "not it", csrf) }()
		for deadline := time.Now().Add(10 * time.Second); !until(r.g.Stats()); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the attempt from %s never got where it should wait: %+v", client, r.g.Stats())
			}
		}
		return out
	}
	queued := func(s login.SprayStats) bool { return s.Waiting == 1 }
	w := post("198.51.100.4", queued)
	beyond := post("198.51.100.5", func(s login.SprayStats) bool { return s.Tarpit == 1 })
	before := r.dir.authOf("asmith")
	done().wantStatus(t, http.StatusOK)
	(<-w).wantStatus(t, http.StatusOK)
	if r.dir.authOf("asmith") != before+1 {
		t.Errorf("the queued attempt was not checked once its place came free")
	}
	// Another check in flight, another waiter; the wait ends for both
	// the waiter and the attempt held back beyond the queue.
	r.dir.hold("bob")
	b := r.browser()
	b.get(signInURL(realm, "held2")).wantRedirect(t, login.PathLogin)
	csrf := b.get(login.PathLogin).csrf(t)
	held := make(chan *page, 1)
	go func() { held <- b.postFrom("198.51.100.6", "bob", "not it", csrf) }()
	<-r.dir.held
	release := sync.OnceFunc(func() { close(r.dir.release) })
	t.Cleanup(release)
	w = post("198.51.100.7", queued)
	close(expire)
	(<-w).wantStatus(t, http.StatusServiceUnavailable)
	(<-beyond).wantStatus(t, http.StatusServiceUnavailable)
	release()
	(<-held).wantStatus(t, http.StatusOK)
	if r.dir.authOf("asmith") != before+1 {
		t.Errorf("a busy attempt reached the directory")
	}
	if st := r.g.Stats(); st.Busy != 2 || st.Tarpit != 0 || st.Waiting != 0 {
		t.Errorf("stats %+v; want 2 busy, none waiting", st)
	}
}

// TestSprayBindsStopAtThreshold: a spray from a fresh address per attempt
// (random X-Forwarded-For through a trusted proxy) reaches the directory
// with at most lockout.unfamiliar_max_passwords wrong passwords per user,
// and a spray from one address with at most per_address_max_failures in
// all: after that every attempt is refused and costs nothing.
func TestSprayBindsStopAtThreshold(t *testing.T) {
	r := newRig(t, rigSetup{})
	for i := range 3 * lockout.DefaultUnfamiliarMaxPasswords {
		r.attempt(sprayAddr(i), "bob", "Spray-1!")
	}
	if got := r.dir.authOf("bob"); got != lockout.DefaultUnfamiliarMaxPasswords {
		t.Errorf("many addresses: %d wrong passwords reached the directory for bob, want %d (the threshold)", got, lockout.DefaultUnfamiliarMaxPasswords)
	}
	if _, c := r.attempt(sprayAddr(1000), "bob", alicePassword); c.dir != 0 || c.writes != 0 || c.refusedPaced != 1 {
		t.Errorf("after the user lock: %+v; want a paced refusal, nothing else", c)
	}
	// One address, many names (existing or not).
	users := []string{"alice", "asmith", "carol", "dave", "erin"}
	before := r.dir.checks()
	for i := range 3 * lockout.DefaultPerAddressMaxFailures {
		r.attempt("192.0.2.99", users[i%len(users)], "Spray-2!")
	}
	if got := r.dir.checks() - before; got != lockout.DefaultPerAddressMaxFailures {
		t.Errorf("one address: %d password checks reached the directory, want %d (per_address_max_failures)", got, lockout.DefaultPerAddressMaxFailures)
	}
}
