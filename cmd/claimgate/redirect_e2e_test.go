package main

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/testutil"
)

// oidcApp is an application of an AD FS OAuth/OpenID Connect application
// group, on an origin of its own (another loopback address, so another
// host as well as another port): AD FS ends its redirect chain at this
// app's redirect_uri with ?code=…&state=….
type oidcApp struct {
	srv *httptest.Server

	mu      sync.Mutex
	arrived []url.Values // the query of each request to the redirect URI
}

func newOIDCApp(t *testing.T) *oidcApp {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatalf("listen on a second loopback address: %v", err)
	}
	app := &oidcApp{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /signin-oidc", func(w http.ResponseWriter, r *http.Request) {
		app.mu.Lock()
		app.arrived = append(app.arrived, r.URL.Query())
		app.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>application</title><p id="arrived">` +
			html.EscapeString(r.URL.Query().Get("code")) + `</p>`))
	})
	app.srv = httptest.NewUnstartedServer(mux)
	app.srv.Listener.Close()
	app.srv.Listener = ln
	app.srv.Start()
	t.Cleanup(app.srv.Close)
	return app
}

func (a *oidcApp) redirectURI() string { return a.srv.URL + "/signin-oidc" }

func (a *oidcApp) requests() []url.Values {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]url.Values(nil), a.arrived...)
}

// redirectingADFS plays AD FS in front of an OpenID Connect application:
// the relying party of the serve tests (it starts the sign-in and verifies
// the token POSTed to /adfs/ls/ against claimgate's signing certificate),
// except that an accepted token is answered as AD FS answers it for an
// application group: 302 to the application's redirect_uri on another
// origin, with an authorization code. A refused token gets the verdict
// page, so the test sees why.
type redirectingADFS struct {
	*relyingParty
	app *oidcApp

	mu    sync.Mutex
	codes []string // authorization codes handed out, in order
}

func newRedirectingADFS(t *testing.T, wsfedURL string, cert *x509.Certificate, app *oidcApp) *redirectingADFS {
	t.Helper()
	a := &redirectingADFS{relyingParty: &relyingParty{wsfed: wsfedURL, trusted: []*x509.Certificate{cert}, contexts: map[string]bool{}}, app: app}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /begin", a.begin)
	mux.HandleFunc("POST /adfs/ls/", func(w http.ResponseWriter, r *http.Request) {
		verdict := httptest.NewRecorder()
		a.receive(verdict, r)
		if verdict.Code != http.StatusOK {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(verdict.Code)
			_, _ = w.Write(verdict.Body.Bytes())
			return
		}
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		code := hex.EncodeToString(b)
		a.mu.Lock()
		a.codes = append(a.codes, code)
		a.mu.Unlock()
		q := url.Values{"code": {code}, "state": {"e2e-state"}}
		http.Redirect(w, r, a.app.redirectURI()+"?"+q.Encode(), http.StatusFound)
	})
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	return a
}

func (a *redirectingADFS) issued() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.codes...)
}

// responseHeader reads one response header as Chromium saw it.
func responseHeader(resp *network.Response, name string) string {
	for k, v := range resp.Headers {
		if strings.EqualFold(k, name) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}

// TestServeTokenPageSurvivesRedirectToAnotherOrigin: a real sign-in in
// headless Chromium (users-file password, then a TOTP code from oathtool)
// whose token POST to AD FS's /adfs/ls/ is answered with a 302 to an
// application on another origin, as AD FS does for OAuth/OpenID Connect
// application groups. Chromium applies the token page's CSP form-action
// to that redirect too (w3c/webappsec-csp#8), so with form-action on the
// token page the browser stops on a blank page after AD FS has accepted
// the token. The browser must arrive at the application with AD FS's
// code, the token page's CSP must have no form-action but still forbid
// framing and foreign scripts, and the pages where the user types (the
// password and code pages) must keep the strict form-action.
func TestServeTokenPageSurvivesRedirectToAnotherOrigin(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; run without -short (make test)")
	}
	alice := e2eUser{Name: "alice", Password: newPassword(t), TOTP: newSeed(t)}
	fx := newFixture(t, alice)
	app := newOIDCApp(t)
	adfs := newRedirectingADFS(t, fx.base+"/wsfed", fx.cert, app)
	fx.rp = adfs.relyingParty // its reply URL goes into the configuration
	fx.writeConfig(t, serveConfig{})
	startServe(t, fx)
	if a, c := mustURL(t, app.srv.URL), mustURL(t, adfs.replyURL()); a.Host == c.Host || a.Hostname() == c.Hostname() {
		t.Fatalf("the application %s is not on another origin than AD FS %s", a, c)
	}

	s := newSession(t, testutil.Browser(t))
	s.begin(adfs.relyingParty)
	s.typeInto("#username", alice.Name)
	s.typeInto("#password", alice.Password)
	codePage := s.response("submit the password", chromedp.Click(chromedp.CSS("form button[type=submit]")))
	if h := s.heading(); h != titleCode {
		s.fail("page %q after the password", h)
	}
	wantStrictFormAction(t, "code page", responseHeader(codePage, "Content-Security-Policy"), adfs.replyURL())

	s.do("code field", chromedp.WaitVisible(chromedp.CSS("#code")))
	s.typeInto("#code", testutil.TOTP(t, alice.TOTP))
	tokenPage := s.response("submit the code", chromedp.Click(chromedp.CSS("form button[type=submit]")))
	policy := responseHeader(tokenPage, "Content-Security-Policy")
	if tokenPage.Status != http.StatusOK || strings.Contains(policy, "form-action") {
		t.Errorf("token page: status %d, CSP %q: form-action there would block AD FS's redirect", tokenPage.Status, policy)
	}
	for _, d := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(policy, d) {
			t.Errorf("token page CSP %q lost %s", policy, d)
		}
	}
	if xfo := responseHeader(tokenPage, "X-Frame-Options"); xfo != "DENY" {
		t.Errorf("token page X-Frame-Options %q", xfo)
	}

	// autopost.js submits the form; AD FS verifies the token and redirects.
	ctx, cancel := context.WithTimeout(s.ctx, 15*time.Second)
	err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#arrived")))
	cancel()
	if err != nil {
		s.fail("the browser did not arrive at the application (AD FS received %d token POSTs, handed out %d codes, the application saw %d requests): %v",
			adfs.count(), len(adfs.issued()), len(app.requests()), err)
	}
	tok := adfs.last(t) // AD FS accepted a valid token
	if got := claim(tok, claims.UPN); len(got) != 1 || got[0] != "alice@e2e.example" {
		t.Errorf("token UPN %v", got)
	}
	loc, err := chromedp.Run(s.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	at := mustURL(t, loc)
	codes, reqs := adfs.issued(), app.requests()
	if len(codes) != 1 || len(reqs) != 1 {
		t.Fatalf("AD FS handed out %d codes, the application saw %d requests; want 1 and 1", len(codes), len(reqs))
	}
	if at.Scheme+"://"+at.Host != app.srv.URL || at.Path != "/signin-oidc" || reqs[0].Get("code") != codes[0] ||
		reqs[0].Get("state") != "e2e-state" || s.text("#arrived") != codes[0] {
		t.Errorf("browser at %s with code %q, application saw %v; want %s with code %s", loc, s.text("#arrived"), reqs[0], app.redirectURI(), codes[0])
	}
}

// wantStrictFormAction checks a page a user types into may post only to
// claimgate and the configured reply URL.
func wantStrictFormAction(t *testing.T, what, policy, reply string) {
	t.Helper()
	for _, d := range strings.Split(policy, ";") {
		if name, value, _ := strings.Cut(strings.TrimSpace(d), " "); name == "form-action" {
			if value != "'self' "+reply {
				t.Errorf("%s: form-action %q, want %q", what, value, "'self' "+reply)
			}
			return
		}
	}
	t.Errorf("%s: CSP %q has no form-action", what, policy)
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return u
}
