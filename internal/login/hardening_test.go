package login_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/lockout"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/store"
)

var errDisk = errors.New("disk I/O error")

// brokenStore fails every write once broken is set: the lockout counters
// and, when sessionsToo, the session writes.
type brokenStore struct {
	lockout.Counters
	login.Sessions
	broken      atomic.Bool
	sessionsToo bool
}

func (b *brokenStore) TakeAttempts(ctx context.Context, cs []store.AttemptCounter, now time.Time, w time.Duration) ([]int, int, error) {
	if b.broken.Load() {
		return nil, -1, errDisk
	}
	return b.Counters.TakeAttempts(ctx, cs, now, w)
}

func (b *brokenStore) RecordFailure(ctx context.Context, key string, now time.Time, w time.Duration) (int, error) {
	if b.broken.Load() {
		return 0, errDisk
	}
	return b.Counters.RecordFailure(ctx, key, now, w)
}

func (b *brokenStore) RotateSession(ctx context.Context, old string, v int64, id string, data []byte, exp time.Time) error {
	if b.broken.Load() && b.sessionsToo {
		return errDisk
	}
	return b.Sessions.RotateSession(ctx, old, v, id, data, exp)
}

func (b *brokenStore) UpdateSession(ctx context.Context, id string, v int64, data []byte, exp time.Time) error {
	if b.broken.Load() && b.sessionsToo {
		return errDisk
	}
	return b.Sessions.UpdateSession(ctx, id, v, data, exp)
}

var requestRef = regexp.MustCompile(`<code>[^<]*</code>`)

// TestStoreThatCannotCountFailsClosed: when failures cannot be counted,
// the right and the wrong password get the same "try again later" answer,
// byte for byte (but for the request reference), and no one gets further.
func TestStoreThatCannotCountFailsClosed(t *testing.T) {
	for _, sessionsToo := range []bool{false, true} {
		bs := &brokenStore{sessionsToo: sessionsToo}
		e := newEnv(t, setup{
			counters: func(c lockout.Counters) lockout.Counters { bs.Counters = c; return bs },
			sessions: func(s login.Sessions) login.Sessions { bs.Sessions = s; return bs },
		})
		answer := func(pw string) *page {
			b := e.browser()
			b.get(signInURL(realm, "x")).wantRedirect(t, login.PathLogin)
			bs.broken.Store(true)
			defer bs.broken.Store(false)
			return b.password("alice", pw)
		}
		right, wrong := answer(alicePassword), answer("not the password")
		if right.status != http.StatusServiceUnavailable || wrong.status != http.StatusServiceUnavailable {
			t.Fatalf("sessions broken too = %v: right password %d, wrong %d; want 503 for both", sessionsToo, right.status, wrong.status)
		}
		if requestRef.ReplaceAllString(right.body, "") != requestRef.ReplaceAllString(wrong.body, "") {
			t.Errorf("sessions broken too = %v: the pages differ:\n%s\n----\n%s", sessionsToo, right.body, wrong.body)
		}
		wantMessage(t, right, "error.unavailable")
		if right.res.Header.Get("Location") != "" || strings.Contains(e.audit.String(), "first_factor_ok") {
			t.Errorf("the right password got through a store that cannot count")
		}
		if !strings.Contains(e.log.String(), "disk I/O error") {
			t.Error("the store error is not in the log")
		}
	}
}

// gatedDirectory holds single sign-on's directory check until released.
type gatedDirectory struct {
	login.Directory
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (g *gatedDirectory) Lookup(ctx context.Context, user string) (claims.Identity, error) {
	if g.armed.CompareAndSwap(true, false) {
		close(g.entered)
		<-g.release
	}
	return g.Directory.Lookup(ctx, user)
}

// TestSignOutIsFinal: a single sign-on request that loaded the session
// before wsignout1.0 deleted it cannot write it back, and gets no token;
// afterwards the old cookie is worth nothing.
func TestSignOutIsFinal(t *testing.T) {
	for i := range 3 {
		g := &gatedDirectory{entered: make(chan struct{}), release: make(chan struct{})}
		e := newEnv(t, setup{directory: func(d login.Directory) login.Directory { g.Directory = d; return g }})
		b := e.browser()
		readAutoPost(t, b.signIn(signInURL(realm, "one")))
		cookie := b.sessionCookie()
		g.armed.Store(true)
		sso := make(chan *page, 1)
		go func() { sso <- b.get(signInURL(realm, "two")) }()
		<-g.entered
		out := e.browser()
		out.setSessionCookie(cookie)
		out.get(login.PathWSFed+"?wa=wsignout1.0").wantStatus(t, http.StatusOK)
		close(g.release)
		p := <-sso
		if strings.Contains(p.body, `name="wresult"`) {
			t.Fatalf("try %d: single sign-on racing the sign-out issued a token", i)
		}
		later := e.browser()
		later.setSessionCookie(cookie)
		if p := later.get(signInURL(realm, "three")); p.status != http.StatusSeeOther || p.res.Header.Get("Location") != login.PathLogin {
			t.Fatalf("try %d: the signed-out session came back: %d %q", i, p.status, p.res.Header.Get("Location"))
		}
	}
}

// TestConcurrentCodeAttemptsKeepTheirCount: parallel wrong codes in one
// sign-in cannot lose updates of its attempt counter (each write names the
// version it read), so MaxCodeAttempts holds.
func TestConcurrentCodeAttemptsKeepTheirCount(t *testing.T) {
	e := newEnv(t, setup{maxCodes: 3})
	b := e.browser()
	b.get(signInURL(realm, "x")).wantRedirect(t, login.PathLogin)
	b.password("alice", alicePassword).wantRedirect(t, login.PathCode)
	cp := b.get(login.PathCode)
	csrf := cp.csrf(t)
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.post(login.PathCode, urlValues("csrf", csrf, "code", e.wrongCode()))
		}()
	}
	wg.Wait()
	if n := strings.Count(e.audit.String(), `"reason":"bad_code"`); n > 3 {
		t.Fatalf("%d wrong codes were checked in one sign-in limited to 3", n)
	}
	if p := b.enterCodeRaw(csrf, e.code()); strings.Contains(p.body, `name="wresult"`) {
		t.Fatal("the sign-in went on after its code attempts were used up")
	}
}

func urlValues(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// enterCodeRaw posts a code with a known CSRF token.
func (b *browser) enterCodeRaw(csrf, code string) *page {
	b.e.t.Helper()
	return b.post(login.PathCode, urlValues("csrf", csrf, "code", code))
}

// TestFamiliarForTheTypedName: a user who signs in with a UPN whose prefix
// is not the account name makes the address familiar under both keys, so
// the smart lockout's exemption protects them whichever form they type;
// and the address is familiar only after the sign-in really finished.
func TestFamiliarForTheTypedName(t *testing.T) {
	e := newEnv(t, setup{})
	familiar := func(name string) bool {
		r, d, err := e.throttle.l.Reserve(context.Background(), login.ThrottleKey(name), addr("127.0.0.1"), lockout.KindPassword, e.clk.Now())
		if err != nil || !d.Allowed {
			t.Fatal(d, err)
		}
		defer e.throttle.l.Pass(context.Background(), r)
		return r.Familiar()
	}
	b := e.browser()
	b.get(signInURL(realm, "x")).wantRedirect(t, login.PathLogin)
	b.password("alice.smith@example.test", alicePassword).wantRedirect(t, login.PathCode)
	if familiar("alice.smith@example.test") || familiar("asmith") {
		t.Fatal("the address became familiar after the password alone")
	}
	readAutoPost(t, b.get(login.PathCode)) // no factor, MFA optional: the token
	if !familiar("alice.smith@example.test") || !familiar("asmith") {
		t.Errorf("familiar for the typed UPN %v, for the account %v; want both", familiar("alice.smith@example.test"), familiar("asmith"))
	}
}
