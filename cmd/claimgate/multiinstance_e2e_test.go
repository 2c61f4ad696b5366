package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/testutil"
)

// The multi-instance tests run two real `claimgate serve` instances on one
// PostgreSQL database, behind a proxy with no sticky sessions
// (multiinstance_harness_e2e_test.go), and sign users in from the real
// Samba AD DC with real Chromium. What one instance does, the other must
// see: the sign-in in progress, used codes, failure counts and locks, the
// single sign-on session and its end. They need CLAIMGATE_SAMBA_ENV and
// CLAIMGATE_PG_ENV, like the other AD and PostgreSQL tests.

const titleSignedOut = "Signed out"

// TestMultiInstanceBrowserSignIn: one sign-in whose every request goes to
// the other instance than the one before (wsignin1.0 on A, the password
// page on B, the password on A, the code page on B, the code on A), so
// each step reads the session the other instance wrote; the token that
// reaches the relying party verifies against the signing certificate.
func TestMultiInstanceBrowserSignIn(t *testing.T) {
	c := startCluster(t, "")
	secret := c.totpAdd(t, "alice")
	s := newSession(t, testutil.Browser(t))

	c.proxy.use(alternate)
	mark := c.proxy.mark()
	s.begin(c.fx.rp)
	if st := s.password("alice", c.userPassword()); st != http.StatusOK || s.heading() != titleCode {
		s.fail("after the password: status %d, page %q", st, s.heading())
	}
	before := c.fx.rp.count()
	s.code(testutil.TOTP(t, secret))
	tok := s.tokenArrives(c.fx.rp, before) // the relying party verified its signature
	if got := claim(tok, claims.UPN); !slices.Equal(got, []string{"alice@example.test"}) {
		t.Errorf("upn = %v", got)
	}
	if got := claim(tok, claims.WindowsAccountName); !slices.Equal(got, []string{`EXAMPLE\alice`}) {
		t.Errorf("windowsaccountname = %v", got)
	}
	if !slices.Contains(claim(tok, claims.AuthnMethodsReferences), claims.MultipleAuthn) {
		t.Errorf("authnmethodsreferences = %v", claim(tok, claims.AuthnMethodsReferences))
	}

	got := c.proxy.pages(mark)
	want := []hop{
		{Method: "GET", Path: login.PathWSFed, Inst: instA, Status: http.StatusSeeOther},
		{Method: "GET", Path: login.PathLogin, Inst: instB, Status: http.StatusOK},
		{Method: "POST", Path: login.PathLogin, Inst: instA, Status: http.StatusSeeOther},
		{Method: "GET", Path: login.PathCode, Inst: instB, Status: http.StatusOK},
		{Method: "POST", Path: login.PathCode, Inst: instA, Status: http.StatusOK},
	}
	if !sameRoute(got, want) {
		t.Fatalf("the sign-in went\n  %v\nwant\n  %v", got, want)
	}
	c.answeredBy(t, got)
}

// TestMultiInstanceCodeReplayRefused: a TOTP code accepted through A is
// refused through B for the next sign-in of the same user, within the
// code's own window, with the message a wrong code gets (on one instance
// too: TestServeReplayRefusedAfterRestart); B does accept a code it has
// not seen.
func TestMultiInstanceCodeReplayRefused(t *testing.T) {
	c := startCluster(t, "")
	secret := c.totpAdd(t, "alice")
	browser := testutil.Browser(t)

	freshStep()
	step := time.Now().Unix() / 30
	used := testutil.TOTPAt(t, secret, time.Unix(step*30, 0))

	c.proxy.use(only(instA))
	markA := c.proxy.mark()
	first := newSession(t, browser)
	first.begin(c.fx.rp)
	if first.password("alice", c.userPassword()); first.heading() != titleCode {
		first.fail("first sign-in: page %q after the password", first.heading())
	}
	before := c.fx.rp.count()
	first.code(used)
	first.tokenArrives(c.fx.rp, before)
	onA := c.proxy.pages(markA)

	c.proxy.use(only(instB))
	markB := c.proxy.mark()
	second := newSession(t, browser) // a fresh browser: no single sign-on
	second.begin(c.fx.rp)
	if second.password("alice", c.userPassword()); second.heading() != titleCode {
		second.fail("second sign-in: page %q after the password", second.heading())
	}
	before = c.fx.rp.count()
	replaySt := second.code(used)
	second.expectError(msgBadCode)
	// With the default skew of one step the code is still inside its
	// window a step later: only the record of its use can refuse it.
	if now := time.Now().Unix() / 30; now-step > 1 {
		t.Fatalf("the test left the code's window (step %d → %d): the refusal proves nothing", step, now)
	}
	replayMsg := second.text(".error")
	if wrongSt := second.code(wrongCode(t, secret)); wrongSt != replaySt {
		t.Errorf("replayed code answered %d, a wrong code %d", replaySt, wrongSt)
	}
	if got := second.text(".error"); got != replayMsg {
		t.Errorf("replayed code says %q, a wrong code %q", replayMsg, got)
	}
	if c.fx.rp.count() != before {
		t.Fatal("a token was issued for a replayed code")
	}
	second.code(testutil.TOTPAt(t, secret, time.Now().Add(30*time.Second)))
	second.tokenArrives(c.fx.rp, before)
	onB := c.proxy.pages(markB)

	onlyOn(t, onA, instA)
	onlyOn(t, onB, instB)
	c.answeredBy(t, slices.Concat(onA, onB))

	var refused int
	for _, r := range readAudit(t, c.fx) {
		if r.Event == "second_factor_failed" && r.User == "alice" {
			refused++
			if r.Reason != "bad_code" || c.inst[instB].requestRecord(r.RequestID) < 0 {
				t.Errorf("refusal audited as %q, request %s (want bad_code, answered by B)", r.Reason, r.RequestID)
			}
		}
	}
	if refused != 2 {
		t.Errorf("%d refused codes audited, want 2 (the replay and the wrong code)", refused)
	}
}

// TestMultiInstanceLockoutAcrossInstances: with lockout.max_failures 3,
// one wrong password on A and (after the right one on B) two wrong codes
// on A and B lock the user from that address; every attempt after that,
// on either instance, is refused as locked with the page a wrong one
// gets, the right code and the right password included. The audit trail
// shows exactly three checked failures before the refusals, each on the
// instance the proxy sent it to. `claimgate users unlock` lets the user
// in again, through both instances.
//
// Only one wrong password reaches AD (its own lockout, at 5 wrong binds,
// is shared by every test on the DC), and the right password right after
// it resets AD's count.
func TestMultiInstanceLockoutAcrossInstances(t *testing.T) {
	c := startCluster(t, "lockout:\n  max_failures: 3\n  base_lockout: 10m\n  max_lockout: 1h\n")
	secret := c.totpAdd(t, "bob")
	browser := testutil.Browser(t)
	pw := c.userPassword()

	// attempt runs one credential step with every request sent to inst
	// and returns the request of its POST, with the audit answer wanted.
	type credential struct {
		hop
		event, reason string
	}
	var sent []credential
	attempt := func(inst int, event, reason string, step func()) {
		t.Helper()
		c.proxy.use(only(inst))
		mark := c.proxy.mark()
		step()
		pages := c.proxy.pages(mark)
		onlyOn(t, pages, inst)
		i := slices.IndexFunc(pages, func(h hop) bool { return h.Method == "POST" })
		if i < 0 {
			t.Fatalf("no POST through the proxy: %v", pages)
		}
		sent = append(sent, credential{pages[i], event, reason})
	}

	s := newSession(t, browser)
	c.proxy.use(only(instA))
	s.begin(c.fx.rp)
	var wrongPassword, wrongCodePage string
	attempt(instA, "first_factor_failed", string(claims.ReasonBadPassword), func() {
		if st := s.password("bob", "Wrong-"+newPassword(t)); st != http.StatusOK {
			s.fail("wrong password: status %d", st)
		}
		s.expectError(msgCredentials)
		wrongPassword = s.visibleText()
	})
	attempt(instB, "first_factor_ok", "", func() {
		if st := s.password("bob", pw); st != http.StatusOK || s.heading() != titleCode {
			s.fail("right password: status %d, page %q", st, s.heading())
		}
	})
	for i, inst := range []int{instA, instB} {
		attempt(inst, "second_factor_failed", "bad_code", func() {
			if st := s.code(wrongCode(t, secret)); st != http.StatusOK {
				s.fail("wrong code %d: status %d", i+1, st)
			}
			s.expectError(msgBadCode)
			if wrongCodePage == "" {
				wrongCodePage = s.visibleText()
			}
		})
	}
	before := c.fx.rp.count()
	for _, inst := range []int{instA, instB} {
		attempt(inst, "second_factor_failed", "locked_out", func() {
			if st := s.code(testutil.TOTP(t, secret)); st != http.StatusOK {
				s.fail("right code while locked: status %d", st)
			}
			if got := s.visibleText(); got != wrongCodePage {
				t.Errorf("instance %s: locked-out code page differs from the wrong-code page:\n%q\n%q", instName[inst], got, wrongCodePage)
			}
		})
	}
	if n := c.fx.rp.count(); n != before {
		t.Fatalf("%d tokens issued while bob is locked out", n-before)
	}
	again := newSession(t, browser)
	c.proxy.use(only(instA))
	again.begin(c.fx.rp)
	for _, inst := range []int{instA, instB} {
		attempt(inst, "first_factor_failed", "locked_out", func() {
			if st := again.password("bob", pw); st != http.StatusOK {
				again.fail("right password while locked: status %d", st)
			}
			if again.has("#code") {
				again.fail("instance %s: the right password passed while bob is locked out", instName[inst])
			}
			if got := again.visibleText(); got != wrongPassword {
				t.Errorf("instance %s: locked-out page differs from the wrong-password page:\n%q\n%q", instName[inst], got, wrongPassword)
			}
		})
	}

	// The audit trail says what each attempt really was, and which one
	// locked bob: the third failure.
	byID := map[string]auditLine{}
	var locks []auditLine
	for _, r := range readAudit(t, c.fx) {
		switch {
		case r.Event == "lockout" && r.User == "bob":
			locks = append(locks, r)
		case r.RequestID != "":
			byID[r.RequestID] = r
		}
	}
	hops := make([]hop, len(sent))
	for i, a := range sent {
		hops[i] = a.hop
		r, ok := byID[a.RequestID]
		switch {
		case !ok:
			t.Errorf("attempt %d (%v): no audit record for request %s", i+1, a.hop, a.RequestID)
		case string(r.Event) != a.event || r.Reason != a.reason:
			t.Errorf("attempt %d (%v): audited %s/%s, want %s/%s", i+1, a.hop, r.Event, r.Reason, a.event, a.reason)
		}
	}
	c.answeredBy(t, hops)
	if len(locks) != 1 || locks[0].RequestID != sent[3].RequestID || locks[0].Reason != "pair" {
		t.Errorf("lockout records %+v, want one pair lock by the third failure (request %s)", locks, sent[3].RequestID)
	}
	if out := c.fx.cli(t, "users", "locks"); !regexp.MustCompile(`user=bob .*until`).MatchString(out) {
		t.Errorf("users locks:\n%s", out)
	}

	if out := c.fx.cli(t, "users", "unlock", "bob"); !strings.Contains(out, "bob unlocked") {
		t.Fatalf("unlock printed %q", out)
	}
	attempt(instB, "first_factor_ok", "", func() {
		if st := again.password("bob", pw); st != http.StatusOK || again.heading() != titleCode {
			again.fail("after unlock: status %d, page %q", st, again.heading())
		}
	})
	before = c.fx.rp.count()
	c.proxy.use(only(instA))
	again.code(testutil.TOTP(t, secret))
	again.tokenArrives(c.fx.rp, before)
}

// TestMultiInstanceSignOutEverywhere: after a sign-in on A, a new
// wsignin1.0 through B gets a token at once (single sign-on from the
// session A wrote); a wsignout1.0 through B ends it, and the next
// wsignin1.0 through A asks for the password again.
func TestMultiInstanceSignOutEverywhere(t *testing.T) {
	c := startCluster(t, "")
	secret := c.totpAdd(t, "alice")
	s := newSession(t, testutil.Browser(t))

	c.proxy.use(only(instA))
	mark := c.proxy.mark()
	s.begin(c.fx.rp)
	if s.password("alice", c.userPassword()); s.heading() != titleCode {
		s.fail("page %q after the password", s.heading())
	}
	before := c.fx.rp.count()
	s.code(testutil.TOTP(t, secret))
	s.tokenArrives(c.fx.rp, before)
	onlyOn(t, c.proxy.pages(mark), instA)

	c.proxy.use(only(instB))
	mark = c.proxy.mark()
	before = c.fx.rp.count()
	s.load("single sign-on through B", chromedp.Navigate(c.fx.rp.beginURL()))
	s.tokenArrives(c.fx.rp, before)
	sso := c.proxy.pages(mark)
	if want := []hop{{Method: "GET", Path: login.PathWSFed, Inst: instB, Status: http.StatusOK}}; !sameRoute(sso, want) {
		t.Fatalf("single sign-on went %v, want %v (the token page at once)", sso, want)
	}

	mark = c.proxy.mark()
	if st := s.load("sign out through B", chromedp.Navigate(c.fx.base+login.PathWSFed+"?wa=wsignout1.0")); st != http.StatusOK || s.heading() != titleSignedOut {
		s.fail("sign-out: status %d, page %q", st, s.heading())
	}
	signOut := c.proxy.pages(mark)
	onlyOn(t, signOut, instB)

	c.proxy.use(only(instA))
	mark = c.proxy.mark()
	before = c.fx.rp.count()
	s.begin(c.fx.rp) // fails unless the password page comes
	if s.has("#code") || c.fx.rp.count() != before {
		s.fail("after the sign-out, A still knew the session")
	}
	again := c.proxy.pages(mark)
	if want := []hop{
		{Method: "GET", Path: login.PathWSFed, Inst: instA, Status: http.StatusSeeOther},
		{Method: "GET", Path: login.PathLogin, Inst: instA, Status: http.StatusOK},
	}; !sameRoute(again, want) {
		t.Fatalf("the sign-in after the sign-out went %v, want %v", again, want)
	}
	c.answeredBy(t, slices.Concat(sso, signOut, again))
	if r := findAudit(readAudit(t, c.fx), "sign_out", "alice"); r == nil || r.RequestID != signOut[0].RequestID {
		t.Errorf("sign-out audit record %+v, want one for request %s", r, signOut[0].RequestID)
	}
}

// TestMultiInstancePostgresRestartMidSignIn: PostgreSQL stops between the
// password (on B) and the code (on A). The code gets the "try again
// later" page (503, Retry-After, no internals, no token), both instances
// answer /readyz with 503 and /healthz with 200, nothing answers 500.
// Once PostgreSQL is back, with the same claimgate processes, a fresh
// sign-in succeeds on A and another on B, and both are ready again.
//
// It stops and starts the PostgreSQL server of CLAIMGATE_PG_ENV: run it
// against a private instance (scripts/postgres/setup.sh with its own
// CLAIMGATE_PG_DIR and CLAIMGATE_PG_PORT) while other tests use the shared
// one; in CI scripts/test.sh runs one package at a time, so it is alone.
func TestMultiInstancePostgresRestartMidSignIn(t *testing.T) {
	c := startCluster(t, "", "CLAIMGATE_TEST_PG_DATA", "CLAIMGATE_TEST_PG_BIN", "CLAIMGATE_TEST_PG_OS_USER")
	secrets := map[string]string{"alice": c.totpAdd(t, "alice"), "bob": c.totpAdd(t, "bob")}
	browser := testutil.Browser(t)
	for i, srv := range c.inst {
		waitReadyz(t, srv, http.StatusOK, instName[i])
	}
	start := c.proxy.mark()

	s := newSession(t, browser)
	c.proxy.use(only(instB))
	s.begin(c.fx.rp)
	if s.password("alice", c.userPassword()); s.heading() != titleCode {
		s.fail("page %q after the password", s.heading())
	}

	restart := c.stopPostgres(t)
	c.proxy.use(only(instA))
	mark := c.proxy.mark()
	before := c.fx.rp.count()
	s.do("code field", chromedp.WaitVisible(chromedp.CSS("#code")))
	s.typeInto("#code", testutil.TOTP(t, secrets["alice"]))
	resp := s.response("submit the code with PostgreSQL down", chromedp.Click(chromedp.CSS("form button[type=submit]")))
	if resp.Status != http.StatusServiceUnavailable || s.heading() != titleLater {
		s.fail("code with PostgreSQL down: status %d, page %q; want 503 %q", resp.Status, s.heading(), titleLater)
	}
	if ra, _ := resp.Headers["Retry-After"].(string); ra == "" {
		t.Errorf("no Retry-After header: %v", resp.Headers)
	}
	page := strings.ToLower(s.text("body"))
	for _, leak := range []string{"postgres", "sql", "dial", "refused", "connect", "store", strings.ToLower(c.pg["CLAIMGATE_TEST_PG_DSN"])} {
		if strings.Contains(page, leak) {
			t.Errorf("the outage page shows detail %q: %s", leak, page)
		}
	}
	if post := c.proxy.pages(mark); len(post) != 1 || post[0].Inst != instA || post[0].Method != "POST" {
		t.Errorf("the code went %v, want one POST to A", post)
	}
	if n := c.fx.rp.count(); n != before {
		t.Fatalf("%d tokens issued with PostgreSQL down", n-before)
	}
	for i, srv := range c.inst {
		st, body := getBody(t, srv.fx.base+"/readyz")
		if st != http.StatusServiceUnavailable || !strings.Contains(body, "\nstore: ") || strings.Contains(body, "\nstore: ok") {
			t.Errorf("instance %s /readyz with PostgreSQL down: %d\n%s", instName[i], st, body)
		}
		if !srv.healthy() {
			t.Errorf("instance %s /healthz is not 200 with PostgreSQL down: liveness must not follow the store", instName[i])
		}
	}

	restart()
	c.running(t)
	for _, try := range []struct {
		inst int
		user string
	}{{instA, "alice"}, {instB, "bob"}} {
		c.proxy.use(only(try.inst))
		m := c.proxy.mark()
		fresh := newSession(t, browser)
		fresh.begin(c.fx.rp)
		if st := fresh.password(try.user, c.userPassword()); st != http.StatusOK || fresh.heading() != titleCode {
			fresh.fail("instance %s after the restart: status %d, page %q after the password", instName[try.inst], st, fresh.heading())
		}
		before := c.fx.rp.count()
		fresh.code(testutil.TOTP(t, secrets[try.user]))
		if got := claim(fresh.tokenArrives(c.fx.rp, before), claims.UPN); !slices.Equal(got, []string{try.user + "@example.test"}) {
			t.Errorf("instance %s: upn %v", instName[try.inst], got)
		}
		onlyOn(t, c.proxy.pages(m), try.inst)
	}
	for i, srv := range c.inst {
		waitReadyz(t, srv, http.StatusOK, instName[i])
	}
	c.running(t)

	all := c.proxy.all(start)
	for _, h := range all {
		if h.Status >= 500 && !(h.Status == http.StatusServiceUnavailable && h.Method == "POST" && h.Path == login.PathCode) {
			t.Errorf("%v: only the code POST during the outage may fail", h)
		}
	}
	c.answeredBy(t, all)
	for i, srv := range c.inst {
		for _, r := range srv.records() {
			if st, _ := r["status"].(float64); r.msg() == "panic" || (r.msg() == "http" && st == http.StatusInternalServerError) {
				t.Errorf("instance %s logged %v", instName[i], r)
			}
		}
	}
}

// sameRoute compares hops by what the proxy saw, not their request ids.
func sameRoute(got, want []hop) bool {
	return slices.EqualFunc(got, want, func(g, w hop) bool {
		return g.Method == w.Method && g.Path == w.Path && g.Inst == w.Inst && g.Status == w.Status
	})
}

// onlyOn fails the test unless there are hops and all went to inst.
func onlyOn(t *testing.T, hops []hop, inst int) {
	t.Helper()
	if len(hops) == 0 {
		t.Errorf("no request through the proxy, want some to %s", instName[inst])
	}
	for _, h := range hops {
		if h.Inst != inst {
			t.Errorf("%v: want every request on %s, got %v", h, instName[inst], hops)
			return
		}
	}
}

// wrongCode is a code that is none of the secret's codes for the steps
// around now, so only being wrong can refuse it.
func wrongCode(t *testing.T, secret string) string {
	t.Helper()
	near := map[string]bool{}
	now := time.Now()
	for d := -2; d <= 2; d++ {
		near[testutil.TOTPAt(t, secret, now.Add(time.Duration(d)*30*time.Second))] = true
	}
	for i := 0; ; i++ {
		if c := fmt.Sprintf("%06d", i); !near[c] {
			return c
		}
	}
}

// visibleText is what the user sees of the page.
func (s *session) visibleText() string {
	s.t.Helper()
	txt, err := chromedp.Run(s.ctx, chromedp.Text(chromedp.CSS("main, body")))
	if err != nil {
		s.fail("page text: %v", err)
	}
	return txt
}

// getBody GETs u and returns the status and body.
func getBody(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// waitReadyz polls an instance's /readyz until it answers want (a bounded
// loop: the directory is probed in the background, so the first answer
// may come a moment after start).
func waitReadyz(t *testing.T, srv *server, want int, name string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, body := getBody(t, srv.fx.base+"/readyz")
		if st == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance %s /readyz is %d, not %d:\n%s", name, st, want, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestMultiInstanceParallelCodes: one sign-in past its password, then 8
// wrong codes sent at once, alternately to A and B, with a plain HTTP
// client holding the session cookie and the code page's CSRF token.
// Exactly max_code_attempts (5, the default) of them are checked (audited
// bad_code) and the sign-in ends; the others find it over. The lockout's
// max_failures is raised to 20 so that it, whose count is atomic in the
// store anyway, cannot be what stops the checks: only the leases that
// serialise one session's checks over both instances can.
//
// Verified to fail without the leases (the Locker wiring in
// internal/app/app.go commented out, so each instance locks only within
// its process): in 3 runs all 8 of 8 codes were checked against the limit
// of 5, and the code page was still offered afterwards.
func TestMultiInstanceParallelCodes(t *testing.T) {
	const maxCodes, parallel = 5, 8
	c := startCluster(t, "lockout:\n  max_failures: 20\n")
	secret := c.totpAdd(t, "alice")
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	x := &xffClient{t: t, fx: c.fx, c: &http.Client{Jar: jar}}
	c.proxy.use(alternate)
	x.begin()
	if st := x.post(login.PathLogin, url.Values{"username": {"alice"}, "password": {c.userPassword()}}); st != http.StatusOK || x.path != login.PathCode {
		t.Fatalf("right password: %d at %s", st, x.path)
	}
	form := url.Values{"csrf": {x.csrf()}, "code": {wrongCode(t, secret)}}

	mark := c.proxy.mark()
	statuses := make([]int, parallel)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := x.c.PostForm(c.fx.base+login.PathCode, form)
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	var on [2]int
	for _, h := range c.proxy.pages(mark) {
		if h.Method == http.MethodPost {
			on[h.Inst]++
		}
	}
	if on[instA] == 0 || on[instB] == 0 {
		t.Fatalf("the codes went %d to A and %d to B; want both", on[instA], on[instB])
	}
	checked := 0
	for _, r := range readAudit(t, c.fx) {
		if r.Event == "second_factor_failed" && r.Reason == "bad_code" && r.User == "alice" {
			checked++
		}
	}
	if checked != maxCodes {
		t.Errorf("%d of %d parallel wrong codes checked (statuses %v), want exactly max_code_attempts %d", checked, parallel, statuses, maxCodes)
	}
	if st := x.read(x.c.Get(c.fx.base + login.PathCode)); st == http.StatusOK && strings.Contains(x.last, `name="code"`) {
		t.Fatalf("the sign-in goes on after %d wrong codes: the code page is still offered", parallel)
	}
}
