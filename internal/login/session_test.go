package login_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/login"
)

// TestSingleSignOn: a finished sign-in answers the next request at once,
// for any configured party, with a fresh token that still says MFA;
// wfresh=0 and prompt=login force the password page again.
func TestSingleSignOn(t *testing.T) {
	e := newEnv(t, setup{})
	b := e.browser()
	b.signIn(signInURL(realm, "first"))
	e.clk.Advance(10 * time.Minute)
	ap := readAutoPost(t, b.get(signInURL(realm2, "second & más")))
	if ap.action != reply2 || ap.values["wctx"] != "second & más" {
		t.Errorf("SSO answer: action %q wctx %q", ap.action, ap.values["wctx"])
	}
	tok := e.verify(t, ap, realm2)
	wantAMR(t, tok, claims.MultipleAuthn, claims.AMRPassword, claims.MultipleAuthn)
	if !tok.IssueInstant.Equal(e.clk.Now()) {
		t.Errorf("SSO token issued at %v, want now (%v)", tok.IssueInstant, e.clk.Now())
	}

	for _, force := range [][]string{{"wfresh", "0"}, {"prompt", "login"}, {"prompt", "consent login"}} {
		b := e.browser()
		b.signIn(signInURL(realm, "x"))
		p := b.get(signInURL(realm, "forced", force...))
		p.wantRedirect(t, login.PathLogin)
		wantNoToken(t, b.get(login.PathLogin))
		b.password("alice", alicePassword).wantRedirect(t, login.PathCode)
	}
	// wfresh other than 0 does not force anything.
	b.get(signInURL(realm, "fresh", "wfresh", "60")).wantStatus(t, http.StatusOK)
}

// TestSignOut: wsignout1.0 ends the session and shows the signed-out
// page (or returns to a configured reply URL, never to another).
func TestSignOut(t *testing.T) {
	e := newEnv(t, setup{})
	b := e.browser()
	b.signIn(signInURL(realm, "s"))
	p := b.get(login.PathWSFed + "?wa=wsignout1.0")
	p.wantStatus(t, http.StatusOK)
	wantMessage(t, p, "signedout.message")
	if c := p.setCookie("claimgate"); c == nil || c.MaxAge >= 0 {
		t.Error("sign-out did not clear the cookie")
	}
	b.get(signInURL(realm, "after")).wantRedirect(t, login.PathLogin)

	b.signIn(signInURL(realm, "s"))
	p = b.get(login.PathWSFed + "?" + url.Values{"wa": {"wsignout1.0"}, "wreply": {replyURL}}.Encode())
	if p.status != http.StatusSeeOther || p.res.Header.Get("Location") != replyURL {
		t.Errorf("sign-out with the configured wreply: %d %q", p.status, p.res.Header.Get("Location"))
	}
	b.signIn(signInURL(realm, "s"))
	p = b.get(login.PathWSFed + "?" + url.Values{"wa": {"wsignout1.0"}, "wtrealm": {realm}, "wreply": {"https://evil.example/"}}.Encode())
	p.wantStatus(t, http.StatusOK)
	if p.res.Header.Get("Location") != "" {
		t.Error("sign-out followed a foreign wreply")
	}
	b.get(signInURL(realm, "after")).wantRedirect(t, login.PathLogin)
}

// TestSignOutCleanup: AD FS loads wsignoutcleanup1.0 in an iframe: 200, a
// small body, no redirect even with wreply, framable by the relying
// parties' origins (checked by the browser helper for this response
// only), and the session is gone.
func TestSignOutCleanup(t *testing.T) {
	e := newEnv(t, setup{})
	b := e.browser()
	b.signIn(signInURL(realm, "s"))
	p := b.get(login.PathWSFed + "?" + url.Values{"wa": {"wsignoutcleanup1.0"}, "wtrealm": {realm}, "wreply": {replyURL}}.Encode())
	p.wantStatus(t, http.StatusOK)
	if p.res.Header.Get("Location") != "" || len(p.body) > 64 || p.body == "" {
		t.Errorf("cleanup answer: Location %q body %q", p.res.Header.Get("Location"), p.body)
	}
	b.get(signInURL(realm, "after")).wantRedirect(t, login.PathLogin)
	// Without any session it answers the same.
	e.browser().get(login.PathWSFed+"?wa=wsignoutcleanup1.0").wantStatus(t, http.StatusOK)
}

// TestWrongPasswordLooksLikeUnknownUser: the two pages are identical once
// the user name typed, the CSRF token and the request id are masked.
func TestWrongPasswordLooksLikeUnknownUser(t *testing.T) {
	e := newEnv(t, setup{})
	try := func(user string) string {
		b := e.browser()
		b.get(signInURL(realm, "c")).wantRedirect(t, login.PathLogin)
		csrf := b.get(login.PathLogin).csrf(t)
		p := b.post(login.PathLogin, url.Values{"csrf": {csrf}, "username": {user}, "password": {"wrong password"}})
		p.wantStatus(t, http.StatusOK)
		wantMessage(t, p, "error.credentials")
		if p.res.Header.Get("Set-Cookie") != "" {
			t.Errorf("%s: a failed password set a cookie", user)
		}
		body := strings.ReplaceAll(p.body, csrf, "CSRF")
		body = strings.ReplaceAll(body, p.res.Header.Get("X-Request-Id"), "REQID")
		return strings.ReplaceAll(body, user, "USER")
	}
	wrong, unknown := try("alice@example.test"), try("mallory@example.test")
	if wrong != unknown {
		t.Errorf("wrong password and unknown user differ:\n%s\n----\n%s", wrong, unknown)
	}
	if !regexp.MustCompile(`"reason":"bad_password"`).MatchString(e.audit.String()) ||
		!regexp.MustCompile(`"reason":"unknown_user"`).MatchString(e.audit.String()) {
		t.Errorf("the audit trail should tell the two apart:\n%s", e.audit.String())
	}
}

// downDirectory is a directory whose server does not answer: its error
// is not a rejection.
type downDirectory struct{ login.Directory }

func (downDirectory) Authenticate(context.Context, string, string) (claims.Identity, error) {
	return claims.Identity{}, errors.New("ldap: dial tcp 192.0.2.7:636: i/o timeout")
}

// TestDirectoryOutage: the user gets 503 "Try again later" (not "wrong
// password"), the log gets the error, no failure is counted against the
// user, and the server goes on serving.
func TestDirectoryOutage(t *testing.T) {
	e := newEnv(t, setup{directory: func(d login.Directory) login.Directory { return downDirectory{d} }})
	b := e.browser()
	b.get(signInURL(realm, "o")).wantRedirect(t, login.PathLogin)
	p := b.password("alice", alicePassword)
	p.wantStatus(t, http.StatusServiceUnavailable)
	wantMessage(t, p, "error.unavailable_title")
	wantMessage(t, p, "error.unavailable")
	wantNoToken(t, p)
	if p.res.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	if strings.Contains(p.body, "i/o timeout") || !strings.Contains(e.log.String(), "i/o timeout") {
		t.Error("the directory error must reach the log and only the log")
	}
	if e.throttle.fail != 0 || strings.Contains(e.audit.String(), "first_factor_failed") {
		t.Error("an outage was counted as a failed sign-in")
	}
	b.get(login.PathLogin).wantStatus(t, http.StatusOK)
	e.browser().get(signInURL(realm, "next")).wantRedirect(t, login.PathLogin)
	e.browser().get("/healthz").wantStatus(t, http.StatusOK)
}

// TestRenderFailureIs500: a page template that fails while rendering (an
// override that passed the start-up check) gives a 500 page, not an empty
// 200, and no half of the token.
func TestRenderFailureIs500(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "html"), 0o755); err != nil {
		t.Fatal(err)
	}
	broken := `{{define "title"}}x{{end}}{{define "content"}}{{if .Fields}}{{index .Fields 9}}{{end}}{{end}}`
	if err := os.WriteFile(filepath.Join(dir, "html", "autopost.html"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, setup{templateDir: dir})
	b := e.browser()
	b.get(signInURL(realm, "r")).wantRedirect(t, login.PathLogin)
	b.password("alice", alicePassword).wantRedirect(t, login.PathCode)
	p := b.enterCode(e.code())
	p.wantStatus(t, http.StatusInternalServerError)
	wantMessage(t, p, "error.internal")
	wantNoToken(t, p)
	if !strings.Contains(e.log.String(), "render failed") {
		t.Error("the render error was not logged")
	}
}
