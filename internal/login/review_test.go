package login_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/mfa"
)

// TestEnrolmentOnlyWithoutAFactor: a password alone must not be enough to
// add an authenticator to an account that already has one; such a user is
// sent to the code step, never told they have no second factor.
func TestEnrolmentOnlyWithoutAFactor(t *testing.T) {
	e := newEnv(t, setup{requireSecond: true, enrol: true})
	b := e.browser()
	b.get(signInURL(realm, "x")).wantRedirect(t, login.PathLogin)
	b.password("alice", alicePassword).wantRedirect(t, login.PathCode)
	p := b.get(login.PathEnrol)
	p.wantRedirect(t, login.PathCode)
	wantNoToken(t, p)
	if post := b.post(login.PathEnrol, url.Values{"csrf": {b.get(login.PathCode).csrf(t)}, "code": {"123456"}}); post.status != http.StatusSeeOther ||
		post.res.Header.Get("Location") != login.PathCode || strings.Contains(post.body, e.msg("error.no_factor")) {
		t.Fatalf("enrolment POST by a user with a factor: %d %q", post.status, post.res.Header.Get("Location"))
	}
	if strings.Contains(p.body, "otpauth://") {
		t.Fatal("enrolment page shown to a user who has a factor")
	}
	if fs, _ := e.db.Factors(context.Background(), "alice"); len(fs) != 0 {
		t.Fatalf("a factor was stored: %+v", fs)
	}
	// bob has none: the code step sends him to enrol, and that works.
	b2 := e.browser()
	b2.get(signInURL(realm, "y")).wantRedirect(t, login.PathLogin)
	b2.password("bob", alicePassword).wantRedirect(t, login.PathCode)
	b2.get(login.PathCode).wantRedirect(t, login.PathEnrol)
	ep := b2.get(login.PathEnrol)
	ep.wantStatus(t, http.StatusOK)
	secret := strings.ReplaceAll(between(t, ep.body, `<code id="secret">`, `</code>`), " ", "")
	key, err := mfa.DecodeBase32(secret)
	if err != nil {
		t.Fatal(err)
	}
	done := b2.post(login.PathEnrol, url.Values{"csrf": {ep.csrf(t)}, "code": {mfa.TOTPAt(key, e.clk.Now(), mfa.OATHParams{})}})
	tok := e.verify(t, readAutoPost(t, done), realm)
	wantAMR(t, tok, claims.MultipleAuthn, claims.AMRPassword, claims.MultipleAuthn)
	// Now bob has a factor: a later sign-in may not enrol another.
	b3 := e.browser()
	b3.get(signInURL(realm, "z")).wantRedirect(t, login.PathLogin)
	b3.password("bob", alicePassword).wantRedirect(t, login.PathCode)
	b3.get(login.PathEnrol).wantRedirect(t, login.PathCode)
	if cp := b3.get(login.PathCode); cp.status != http.StatusOK || strings.Contains(cp.body, "otpauth://") {
		t.Fatalf("bob, who has a factor now, at the code step: %d", cp.status)
	}
}

func between(t *testing.T, s, from, to string) string {
	t.Helper()
	_, rest, ok := strings.Cut(s, from)
	v, _, ok2 := strings.Cut(rest, to)
	if !ok || !ok2 {
		t.Fatalf("%q ... %q not in page", from, to)
	}
	return v
}

// TestParallelGuessesAreAllCounted: forty wrong passwords sent at once
// from one address are checked one by one, so the lockout stops them
// after the policy's five.
func TestParallelGuessesAreAllCounted(t *testing.T) {
	e := newEnv(t, setup{})
	b := e.browser()
	b.get(signInURL(realm, "x")).wantRedirect(t, login.PathLogin)
	lp := b.get(login.PathLogin)
	csrf := lp.csrf(t)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.post(login.PathLogin, url.Values{"csrf": {csrf}, "username": {"alice"}, "password": {fmt.Sprint("guess-", i)}})
		}()
	}
	wg.Wait()
	checked := strings.Count(e.audit.String(), `"reason":"bad_password"`)
	if checked > 5 {
		t.Fatalf("%d parallel guesses reached the password check; the policy allows 5", checked)
	}
	if !strings.Contains(e.audit.String(), `"reason":"locked_out"`) {
		t.Fatal("no guess was refused as locked out")
	}
}

// TestHalfClosedClientIsStillCounted: a client that shuts its side of the
// connection after sending a wrong password is counted like any other, and
// cannot tell a right password from a wrong one by a 500.
func TestHalfClosedClientIsStillCounted(t *testing.T) {
	e := newEnv(t, setup{})
	b := e.browser()
	b.get(signInURL(realm, "x")).wantRedirect(t, login.PathLogin)
	csrf := b.get(login.PathLogin).csrf(t)
	cookie := e.cookieName() + "=" + b.sessionCookie()
	for i := range 7 {
		status := halfClosePost(t, e, cookie, url.Values{"csrf": {csrf}, "username": {"alice"}, "password": {fmt.Sprint("wrong-", i)}})
		if status != http.StatusOK {
			t.Fatalf("attempt %d: status %d\n%s", i, status, e.log.String())
		}
	}
	if n := strings.Count(e.audit.String(), `"reason":"bad_password"`); n != 5 {
		t.Fatalf("%d wrong passwords checked before the lock, want 5 (the failures were not all counted)", n)
	}
	if strings.Contains(e.log.String(), "not recorded") {
		t.Fatalf("a failure was lost:\n%s", e.log.String())
	}
}

// halfClosePost sends a login POST on a raw connection, closes the write
// side at once, and returns the status it still reads back.
func halfClosePost(t *testing.T, e *env, cookie string, form url.Values) int {
	t.Helper()
	c, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	body := form.Encode()
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		login.PathLogin, e.srv.Listener.Addr(), cookie, len(body), body)
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Logf("half-closed POST answered %d: %s", resp.StatusCode, b)
	}
	return resp.StatusCode
}

// switchable is the real directory with an account that can be disabled
// while its owner holds a single sign-on session.
type switchable struct {
	login.Directory
	mu       sync.Mutex
	disabled map[string]bool
}

func (d *switchable) Lookup(ctx context.Context, user string) (claims.Identity, error) {
	d.mu.Lock()
	off := d.disabled[user]
	d.mu.Unlock()
	if off {
		return claims.Identity{}, claims.Rejected(claims.ReasonDisabled, "disabled in the test")
	}
	return d.Directory.Lookup(ctx, user)
}

// TestSingleSignOnAsksTheDirectoryAgain: an account disabled after its
// sign-in gets no further token from the single sign-on session.
func TestSingleSignOnAsksTheDirectoryAgain(t *testing.T) {
	dir := &switchable{disabled: map[string]bool{}}
	e := newEnv(t, setup{directory: func(d login.Directory) login.Directory { dir.Directory = d; return dir }})
	b := e.browser()
	readAutoPost(t, b.signIn(signInURL(realm, "one")))
	sso := b.get(signInURL(realm, "two"))
	sso.wantStatus(t, http.StatusOK)
	readAutoPost(t, sso)
	dir.mu.Lock()
	dir.disabled["alice"] = true
	dir.mu.Unlock()
	p := b.get(signInURL(realm, "three"))
	p.wantStatus(t, http.StatusForbidden)
	wantNoToken(t, p)
	if !strings.Contains(e.audit.String(), "account_disabled") {
		t.Error("the refused single sign-on is not in the audit trail")
	}
}

// TestSingleSignOnHonoursMFAPolicy: a session finished with the password
// alone (MFA optional) gives no token once MFA is required.
func TestSingleSignOnHonoursMFAPolicy(t *testing.T) {
	e := newEnv(t, setup{})
	b := e.browser()
	b.get(signInURL(realm, "x")).wantRedirect(t, login.PathLogin)
	b.password("bob", alicePassword) // bob has no factor: MFA optional lets him through
	first := b.get(login.PathCode)
	readAutoPost(t, first)
	// The same store, restarted with MFA required; the browser keeps its cookie.
	strict := newEnv(t, setup{requireSecond: true, db: e.db})
	b2 := strict.browser()
	b2.setSessionCookie(b.sessionCookie())
	p := b2.get(signInURL(realm, "y"))
	if p.status == http.StatusOK && strings.Contains(p.body, `name="wresult"`) {
		t.Fatal("single sign-on issued a token from a password-only session although MFA is now required")
	}
}
