package login_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/sts/wsfed"
)

// The CSP every response carries, and the one only the sign-out cleanup
// page gets: AD FS frames it from its own origins.
const (
	strictCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"form-action 'self' " + replyURL + " " + reply2 + " " + reply3 + "; frame-ancestors 'none'; base-uri 'none'"
	framableCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"form-action 'self' " + replyURL + " " + reply2 + " " + reply3 + "; " +
		"frame-ancestors https://adfs.example.test https://other.example.test:8443; base-uri 'none'"
	// tokenCSP is the auto-POST page's: the strict policy without
	// form-action, which Chromium would apply to AD FS's redirects.
	tokenCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"frame-ancestors 'none'; base-uri 'none'"
)

func oathtool(t testing.TB, at time.Time) string {
	return testutil.OATHTool(t, "--totp", "-b", aliceTOTP, "--now", "@"+strconv.FormatInt(at.Unix(), 10))
}

// browser is a client with a cookie jar that does not follow redirects,
// so every hop of the flow can be inspected. Every response it sees is
// checked for the security headers and, for pages, their hygiene.
type browser struct {
	e   *env
	c   *http.Client
	jar *cookiejar.Jar
}

// page is one response, read whole.
type page struct {
	req    *http.Request
	res    *http.Response
	status int
	body   string
	doc    *node // nil unless text/html
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	b := &browser{e: e, jar: jar}
	b.c = &http.Client{Jar: jar, Transport: e.transport(), Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return b
}

func (b *browser) get(path string) *page {
	b.e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) *page {
	b.e.t.Helper()
	return b.postRaw(path, form.Encode())
}

func (b *browser) postRaw(path, body string) *page {
	b.e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) do(req *http.Request) *page {
	t := b.e.t
	t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	p := &page{req: req, res: res, status: res.StatusCode, body: string(body)}
	b.e.checkHeaders(p)
	return p
}

// checkHeaders asserts the security headers of one response and, for an
// HTML page, its hygiene; error pages must not show internals.
func (e *env) checkHeaders(p *page) {
	t := e.t
	t.Helper()
	h := p.res.Header
	what := p.req.Method + " " + p.req.URL.Path
	cleanup := p.req.URL.Path == login.PathWSFed && p.req.URL.Query().Get("wa") == wsfed.WaSignOutCleanup && p.status == http.StatusOK
	if cleanup {
		if got := h.Get("Content-Security-Policy"); got != framableCSP {
			t.Errorf("%s: CSP\n got %s\nwant %s", what, got, framableCSP)
		}
		if h.Get("X-Frame-Options") != "" {
			t.Errorf("%s: X-Frame-Options %q on the framable cleanup page", what, h.Get("X-Frame-Options"))
		}
	} else {
		want := strictCSP
		if p.status == http.StatusOK && strings.Contains(p.body, `id="autopost"`) {
			want = tokenCSP
		}
		if got := h.Get("Content-Security-Policy"); got != want {
			t.Errorf("%s: CSP\n got %s\nwant %s", what, got, want)
		}
		if got := h.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("%s: X-Frame-Options %q, want DENY", what, got)
		}
	}
	if len(h.Values("Content-Security-Policy")) != 1 {
		t.Errorf("%s: %d CSP headers", what, len(h.Values("Content-Security-Policy")))
	}
	for _, marker := range []string{login.HeaderAllowFraming, login.HeaderTokenPage} {
		if h.Get(marker) != "" {
			t.Errorf("%s: internal header %s reached the client", what, marker)
		}
	}
	for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %s %q, want %q", what, k, got, want)
		}
	}
	hsts := h.Get("Strict-Transport-Security")
	if e.s.secure && hsts == "" || !e.s.secure && hsts != "" {
		t.Errorf("%s: HSTS %q with HTTPS=%v", what, hsts, e.s.secure)
	}
	if h.Get("X-Request-Id") == "" {
		t.Errorf("%s: no X-Request-Id", what)
	}
	if strings.HasPrefix(h.Get("Content-Type"), "text/html") && p.status/100 != 3 {
		if got := h.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q on a page, want no-store", what, got)
		}
		p.doc = checkPageHygiene(t, what, p.body)
		if !strings.Contains(p.body, `id="autopost"`) {
			checkNoInternals(t, what, p.body)
		}
	}
}

// sessionCookie returns the session cookie the browser holds ("" if none).
func (b *browser) sessionCookie() string {
	u, _ := url.Parse(b.e.srv.URL + "/")
	for _, c := range b.jar.Cookies(u) {
		if c.Name == b.e.cookieName() {
			return c.Value
		}
	}
	return ""
}

// setSessionCookie replaces the browser's session cookie (to replay an
// old id).
func (b *browser) setSessionCookie(v string) {
	u, _ := url.Parse(b.e.srv.URL + "/")
	b.jar.SetCookies(u, []*http.Cookie{{Name: b.e.cookieName(), Value: v, Path: "/", Secure: b.e.s.secure}})
}

func (e *env) cookieName() string {
	if e.s.secure {
		return "__Host-claimgate"
	}
	return "claimgate"
}

// setCookie returns the session cookie a response set, or nil.
func (p *page) setCookie(name string) *http.Cookie {
	var last *http.Cookie
	for _, c := range p.res.Cookies() {
		if c.Name == name {
			last = c
		}
	}
	return last
}

// csrf is the anti-forgery token of the page's first form.
func (p *page) csrf(t testing.TB) string {
	t.Helper()
	if p.doc != nil {
		for _, in := range p.doc.all("input") {
			if in.attr["name"] == "csrf" {
				return in.attr["value"]
			}
		}
	}
	t.Fatalf("%s %s: no csrf field in\n%s", p.req.Method, p.req.URL.Path, p.body)
	return ""
}

func (p *page) wantStatus(t testing.TB, status int) {
	t.Helper()
	if p.status != status {
		t.Fatalf("%s %s: status %d, want %d\n%s", p.req.Method, p.req.URL, p.status, status, p.body)
	}
}

func (p *page) wantRedirect(t testing.TB, to string) {
	t.Helper()
	p.wantStatus(t, http.StatusSeeOther)
	if got := p.res.Header.Get("Location"); got != to {
		t.Fatalf("%s %s: Location %q, want %q", p.req.Method, p.req.URL.Path, got, to)
	}
}
