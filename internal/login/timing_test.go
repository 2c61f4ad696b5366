package login_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
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

// TestPasswordAttemptWorkIsUniform: a wrong password for a user holding
// five app passwords, an unknown user name and a locked-out attempt each
// cost exactly one directory password hash and one app-password check
// (which is one argon2id derivation however many app passwords there are:
// internal/factors tests that), so the work tells none of them apart.
func TestPasswordAttemptWorkIsUniform(t *testing.T) {
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

// TestPasswordAttemptTimingIsUniform measures it: over interleaved
// rounds, the median time of a wrong password for a user with five app
// passwords, of an unknown user name and of a locked-out attempt stay
// within 1.5× of each other. (Before: five app passwords cost about 3×
// an unknown name; a locked attempt about a twentieth.)
func TestPasswordAttemptTimingIsUniform(t *testing.T) {
	if testing.Short() {
		t.Skip("statistical timing test (a few seconds of argon2id); run without -short (make test)")
	}
	e := newEnv(t, setup{appPasswords: true})
	giveAppPasswords(t, e, "alice", 5)
	lockAlice(t, e)
	giveAppPasswords(t, e, "bob", 5)
	type probe struct {
		name     string
		user, pw string
	}
	probes := []probe{
		{"wrong password, 5 app passwords", "bob", "not it"},
		{"unknown user", "nobody-here", "not it"},
		{"locked out", "alice", alicePassword},
	}
	const rounds = 21
	samples := make([][]time.Duration, len(probes))
	for range rounds {
		for i, p := range probes {
			b := e.browser()
			b.get(signInURL(realm, "t")).wantRedirect(t, login.PathLogin)
			csrf := b.get(login.PathLogin).csrf(t)
			start := time.Now()
			b.post(login.PathLogin, urlValues("csrf", csrf, "username", p.user, "password", p.pw)).wantStatus(t, http.StatusOK)
			samples[i] = append(samples[i], time.Since(start))
		}
		// Stay below bob's pair limit: a success clears it.
		e.clk.Advance(time.Second)
		e.db.Unlock(context.Background(), `pair:"bob"@127.0.0.1`)
	}
	medians := make([]time.Duration, len(probes))
	for i, s := range samples {
		slices.Sort(s)
		medians[i] = s[len(s)/2]
		t.Logf("%-34s median %v (min %v, max %v)", probes[i].name, medians[i], s[0], s[len(s)-1])
	}
	lo, hi := slices.Min(medians), slices.Max(medians)
	if float64(hi) > 1.5*float64(lo) {
		t.Errorf("median times differ by %.2f×: %v", float64(hi)/float64(lo), medians)
	}
}
