package login_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/store"
)

// workCounter counts the expensive steps of a password attempt: password
// hashes in the directory (a check or a decoy) and app-password
// derivations (a check or a decoy).
type workCounter struct {
	login.Directory
	mu           sync.Mutex
	dirWork      int
	appWork      int
	appPasswords login.AppPasswords
}

func (w *workCounter) Authenticate(ctx context.Context, u, p string) (claims.Identity, error) {
	w.mu.Lock()
	w.dirWork++
	w.mu.Unlock()
	return w.Directory.Authenticate(ctx, u, p)
}

func (w *workCounter) SpendCheck(ctx context.Context, u, p string) {
	w.mu.Lock()
	w.dirWork++
	w.mu.Unlock()
	w.Directory.(login.Decoy).SpendCheck(ctx, u, p)
}

// appCounter counts app-password work for a workCounter.
type appCounter struct {
	login.AppPasswords
	w *workCounter
}

func (a appCounter) CheckAppPassword(ctx context.Context, u, p string, now time.Time) (bool, error) {
	a.w.mu.Lock()
	a.w.appWork++
	a.w.mu.Unlock()
	return a.AppPasswords.CheckAppPassword(ctx, u, p, now)
}

func (a appCounter) SpendCheck(ctx context.Context, u, p string) {
	a.w.mu.Lock()
	a.w.appWork++
	a.w.mu.Unlock()
	a.AppPasswords.SpendCheck(ctx, u, p)
}

func (w *workCounter) reset() (dir, app int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	dir, app = w.dirWork, w.appWork
	w.dirWork, w.appWork = 0, 0
	return dir, app
}

// giveAppPasswords stores n app passwords for user, hashed as the admin
// CLI hashes them.
func giveAppPasswords(t testing.TB, e *env, user string, n int) {
	t.Helper()
	for i := range n {
		h := mfa.ForUser(user).Hash(mfa.NormalizeAppPassword(fmt.Sprintf("abcd-efgh-jkmn-pq%02d", i)))
		if _, err := e.db.CreateAppPassword(context.Background(), store.AppPassword{User: user, Name: fmt.Sprint("app ", i), Hash: h}); err != nil {
			t.Fatal(err)
		}
	}
}

// lockAlice fails alice's password from this test's address until the
// pair lock is in force.
func lockAlice(t testing.TB, e *env) {
	t.Helper()
	b := e.browser()
	b.get(signInURL(realm, "lock")).wantRedirect(t, login.PathLogin)
	for i := range 5 {
		b.password("alice", fmt.Sprint("wrong-", i))
	}
}

// TestPasswordAttemptWorkIsUniformWithoutGuard: with a throttle that
// brings no SprayGuard (only tests build one), a wrong password for a
// user holding five app passwords, an unknown user name and a locked-out
// attempt each cost exactly one directory password hash and one
// app-password check, so the work tells none of them apart: a refused
// attempt falls back to the decoy work. (With the guard, as app.Build
// wires it, see TestPasswordAttemptCostIsUniformInKind.)
func TestPasswordAttemptWorkIsUniformWithoutGuard(t *testing.T) {
	w := &workCounter{}
	e := newEnv(t, setup{appPasswords: true,
		directory: func(d login.Directory) login.Directory { w.Directory = d; return w },
		wrapApps:  func(a login.AppPasswords) login.AppPasswords { return appCounter{a, w} }})
	giveAppPasswords(t, e, "alice", 5)
	try := func(user, pw string) {
		b := e.browser()
		b.get(signInURL(realm, "w")).wantRedirect(t, login.PathLogin)
		w.reset()
		b.password(user, pw).wantStatus(t, http.StatusOK)
	}
	cases := []struct {
		name      string
		user, pw  string
		afterLock bool
	}{
		{"wrong password, 5 app passwords", "alice", "not it", false},
		{"unknown user", "nobody-here", "not it", false},
		{"no app passwords", "bob", "not it", false},
		{"locked out", "alice", alicePassword, true},
	}
	for _, c := range cases {
		if c.afterLock {
			lockAlice(t, e)
		}
		try(c.user, c.pw)
		if dir, app := w.reset(); dir != 1 || app != 1 {
			t.Errorf("%s: %d directory password checks and %d app-password checks, want 1 and 1", c.name, dir, app)
		}
	}
}

// TestPasswordAttemptCostIsUniformInKind: as app.Build wires it (a
// SprayGuard, app passwords under a Limiter), every first-factor answer is
// either a real check or a delay standing in for exactly that check,
// drawn from what real ones were measured to take, and the pages are the
// same. A wrong password for a user with five app passwords: one directory
// check and one argon2id. For one without any, and for an unknown name:
// one directory check, and instead of the argon2id a sleep of a measured
// derivation (3 readings of the Limiter's clock). A locked-out attempt,
// right password or not: no directory, no argon2id, no store write, and
// a sleep of a measured rejected check (one step of the guard's clock).
// The clocks are fake, so this counts kinds instead of timing them: it
// fails if any path answers without its work or its stand-in, or with a
// delay not drawn from real checks.
func TestPasswordAttemptCostIsUniformInKind(t *testing.T) {
	r := newRig(t, rigSetup{})
	r.giveAppPasswords("alice", 5)
	r.giveAppPasswords("asmith", 5)
	const locked = "203.0.113.9"
	r.lockPair(locked, "asmith")
	type kind int
	const (
		checked kind = iota // a directory check, and argon2id or its stand-in
		refused             // only the stand-in of a whole check
	)
	cases := []struct {
		name     string
		client   string
		user, pw string
		kind     kind
		derives  bool
	}{
		{"wrong password, 5 app passwords", "", "alice", "not it", checked, true},
		{"unknown user", "", "nobody-here", "not it", checked, false},
		{"no app passwords", "", "bob", "not it", checked, false},
		{"locked out, right password", locked, "asmith", alicePassword, refused, false},
		{"locked out, wrong password", locked, "asmith", "not it", refused, false},
	}
	var first string
	for _, c := range cases {
		p, got := r.attempt(c.client, c.user, c.pw)
		p.wantStatus(t, http.StatusOK)
		if first == "" {
			first = normalized(p)
		} else if normalized(p) != first {
			t.Errorf("%s: the page differs from the first case's:\n%s\nvs\n%s", c.name, normalized(p), first)
		}
		switch c.kind {
		case checked:
			if got.dirChecks != 1 || got.refusedPaced != 0 || len(got.slept) != 0 {
				t.Errorf("%s: %d directory checks, %d refusal paces; want a real check (1, 0)", c.name, got.dirChecks, got.refusedPaced)
			}
			if c.derives && (got.derived != 1 || got.appPaced != 0) {
				t.Errorf("%s: %d argon2id, %d stand-ins; want 1 argon2id", c.name, got.derived, got.appPaced)
			}
			if !c.derives && (got.derived != 0 || got.appPaced != 1 || len(got.appSlept) != 1 || got.appSlept[0] != 3*limStep) {
				t.Errorf("%s: %d argon2id, %d stand-ins sleeping %v; want none and one sleeping a measured derivation (%v)",
					c.name, got.derived, got.appPaced, got.appSlept, 3*limStep)
			}
		case refused:
			if got.dir != 0 || got.derived != 0 || got.appPaced != 0 || got.writes != 0 {
				t.Errorf("%s: %d directory calls, %d argon2id, %d app stand-ins, %d store writes; want none", c.name, got.dir, got.derived, got.appPaced, got.writes)
			}
			if got.refusedPaced != 1 || len(got.slept) != 1 || got.slept[0] != guardStep {
				t.Errorf("%s: %d paces sleeping %v; want one sleeping a measured check (%v)", c.name, got.refusedPaced, got.slept, guardStep)
			}
		}
	}
}
