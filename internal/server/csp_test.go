package server_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/sts/wsfed"
)

// directives splits a CSP into its directives, name → value.
func directives(t testing.TB, policy string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, d := range strings.Split(policy, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		if name == "" {
			continue
		}
		if _, dup := out[name]; dup {
			t.Errorf("directive %s twice in %q", name, policy)
		}
		out[name] = value
	}
	return out
}

// signInClient is a browser stand-in: a cookie jar, no redirects followed,
// and on every request the two internal marker headers, as a hostile
// client would send them. They must change nothing: the middleware reads
// markers from the response only.
type signInClient struct {
	t   *testing.T
	srv *httptest.Server
	c   *http.Client
}

func newSignInClient(t *testing.T, srv *httptest.Server) *signInClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &signInClient{t: t, srv: srv, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *signInClient) do(method, path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.srv.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set(login.HeaderTokenPage, "1")
	req.Header.Set(login.HeaderAllowFraming, "1")
	res, err := c.c.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if res.Header.Get(login.HeaderTokenPage) != "" || res.Header.Get(login.HeaderAllowFraming) != "" {
		c.t.Errorf("%s %s: an internal marker reached the client: %v", method, path, res.Header)
	}
	return res, string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t testing.TB, body string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field on the page:\n%s", body)
	}
	return m[1]
}

// TestTokenPageCSPHasNoFormAction: the auto-POST (token) page's CSP has
// no form-action, because Chromium would apply it to the redirects AD FS
// answers the token POST with, and keeps every other directive of the
// strict policy with the same value (frame-ancestors 'none' and
// X-Frame-Options DENY included). Every page a user types into (password,
// code, a wrong password or code) and every error page keeps the strict
// form-action. A client sending the internal marker headers on its
// requests changes nothing, and the markers never reach it.
func TestTokenPageCSPHasNoFormAction(t *testing.T) {
	p := newParts(t, wsfed.PartyList{{Identifier: realm, ReplyURL: replyURL}})
	srv := serve(t, p.options())
	c := newSignInClient(t, srv)
	strictPolicy := csp(" "+replyURL, "'none'")
	strict := func(what string, res *http.Response) {
		t.Helper()
		wantHeaders(t, res, false, strictPolicy)
		if got := directives(t, res.Header.Get("Content-Security-Policy"))["form-action"]; got != "'self' "+replyURL {
			t.Errorf("%s: form-action %q", what, got)
		}
	}

	res, _ := c.do("GET", login.PathCode, nil) // no sign-in yet: an error page
	if res.StatusCode < 400 {
		t.Fatalf("code page without a session: %d", res.StatusCode)
	}
	strict("error page", res)
	res, _ = c.do("GET", "/nope", nil)
	strict("404", res)

	res, _ = c.do("GET", login.PathWSFed+"?"+url.Values{"wa": {"wsignin1.0"}, "wtrealm": {realm}, "wctx": {"ctx"}}.Encode(), nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in start: %d", res.StatusCode)
	}
	strict("sign-in redirect", res)
	res, body := c.do("GET", login.PathLogin, nil)
	strict("password page", res)
	res, body = c.do("POST", login.PathLogin, url.Values{"csrf": {csrfOf(t, body)}, "username": {"alice"}, "password": {"wrong"}})
	strict("wrong password", res)
	if !strings.Contains(body, p.pages.T("error.credentials")) {
		t.Fatalf("wrong password: not the login page with its message:\n%s", body)
	}
	res, _ = c.do("POST", login.PathLogin, url.Values{"csrf": {csrfOf(t, body)}, "username": {"alice"}, "password": {"pw"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != login.PathCode {
		t.Fatalf("password: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	strict("password accepted", res)
	res, body = c.do("GET", login.PathCode, nil)
	strict("code page", res)
	res, body = c.do("POST", login.PathCode, url.Values{"csrf": {csrfOf(t, body)}, "code": {"000000"}})
	strict("wrong code", res)
	if strings.Contains(body, `id="autopost"`) {
		t.Fatal("a wrong code gave a token")
	}
	res, body = c.do("POST", login.PathCode, url.Values{"csrf": {csrfOf(t, body)}, "code": {testutil.TOTP(t, aliceTOTP)}})
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `id="autopost"`) || !strings.Contains(body, `action="`+replyURL+`"`) {
		t.Fatalf("no token page for the right code: %d\n%s", res.StatusCode, body)
	}
	wantTokenPolicy(t, res, strictPolicy)

	// Single sign-on answers with the token page at once: the same policy.
	res, body = c.do("GET", login.PathWSFed+"?"+url.Values{"wa": {"wsignin1.0"}, "wtrealm": {realm}, "wctx": {"sso"}}.Encode(), nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `id="autopost"`) {
		t.Fatalf("single sign-on: %d\n%s", res.StatusCode, body)
	}
	wantTokenPolicy(t, res, strictPolicy)
}

// wantTokenPolicy checks res carries the strict policy without its
// form-action, every other directive unchanged, and still refuses framing.
func wantTokenPolicy(t testing.TB, res *http.Response, strictPolicy string) {
	t.Helper()
	got := directives(t, res.Header.Get("Content-Security-Policy"))
	want := directives(t, strictPolicy)
	delete(want, "form-action")
	if _, ok := got["form-action"]; ok {
		t.Errorf("token page: form-action %q would block AD FS's redirects in Chromium", got["form-action"])
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("token page: %s %q, want %q (only form-action may go)", name, got[name], v)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("token page: unexpected directive %s %q", name, got[name])
		}
	}
	for _, name := range []string{"default-src", "script-src", "base-uri", "frame-ancestors"} {
		if _, ok := got[name]; !ok {
			t.Errorf("token page: %s missing", name)
		}
	}
	if xfo := res.Header.Get("X-Frame-Options"); xfo != "DENY" {
		t.Errorf("token page: X-Frame-Options %q, want DENY", xfo)
	}
	wantHeaders(t, res, false, res.Header.Get("Content-Security-Policy"))
}

// TestTokenMarkerOnlyRelaxesItsOwn200: the marker relaxes only the 200
// answer it was set for. A handler that set it and then failed (an error
// status, a panic caught by the recoverer) sends the strict policy, and a
// response flushed through http.ResponseController before any write still
// gets the security headers and loses the marker.
func TestTokenMarkerOnlyRelaxesItsOwn200(t *testing.T) {
	p := newParts(t, wsfed.PartyList{{Identifier: realm, ReplyURL: replyURL}})
	o := p.options()
	mark := func(w http.ResponseWriter) {
		w.Header().Set(login.HeaderTokenPage, "1")
		w.Header().Set(login.HeaderAllowFraming, "1") // the token page is never framable
	}
	o.Mounts = map[string]http.Handler{
		"/token": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { mark(w); _, _ = w.Write([]byte("ok")) }),
		"/fails": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { mark(w); w.WriteHeader(http.StatusBadRequest) }),
		"/panics": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mark(w)
			panic("render failed")
		}),
		"/flushes": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mark(w)
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Errorf("flush: %v", err)
			}
			_, _ = w.Write([]byte("ok"))
		}),
	}
	srv := serve(t, o)
	strictPolicy := csp(" "+replyURL, "'none'")
	for path, status := range map[string]int{"/fails": 400, "/panics": 500} {
		res, _ := fetch(t, srv, "GET", path)
		if res.StatusCode != status {
			t.Errorf("%s: status %d, want %d", path, res.StatusCode, status)
		}
		wantHeaders(t, res, false, strictPolicy)
		if slices.ContainsFunc([]string{login.HeaderTokenPage, login.HeaderAllowFraming}, func(h string) bool { return res.Header.Get(h) != "" }) {
			t.Errorf("%s: marker reached the client", path)
		}
	}
	for _, path := range []string{"/token", "/flushes"} {
		res, _ := fetch(t, srv, "GET", path)
		wantTokenPolicy(t, res, strictPolicy)
		if res.Header.Get(login.HeaderTokenPage) != "" || res.Header.Get(login.HeaderAllowFraming) != "" {
			t.Errorf("%s: marker reached the client", path)
		}
	}
}
