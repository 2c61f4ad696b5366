package demo_test

import (
	"crypto/x509"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/demo"
	"github.com/claimgate/claimgate/sts"
	"github.com/claimgate/claimgate/sts/saml11"
	"github.com/claimgate/claimgate/sts/wsfed"
	"github.com/claimgate/claimgate/templates"
)

const (
	demoRealm = "http://127.0.0.1:8080/demo/adfs/services/trust"
	wsfedURL  = "https://claimgate.example.test/wsfed"
)

// keys are the trusted signing key and a stranger's, made once.
var keys = sync.OnceValues(func() ([2]*certs.KeyPair, error) {
	var k [2]*certs.KeyPair
	for i := range k {
		kp, err := certs.Generate(certs.GenerateOptions{})
		if err != nil {
			return k, err
		}
		k[i] = kp
	}
	return k, nil
})

// rp is the demo relying party mounted at /demo as claimgate mounts it,
// and a browser for it.
type rp struct {
	t       *testing.T
	srv     *httptest.Server
	trusted *certs.KeyPair
	other   *certs.KeyPair
	pages   *templates.Set
}

func newRP(t *testing.T) *rp {
	t.Helper()
	k, err := keys()
	if err != nil {
		t.Fatal(err)
	}
	pages, err := templates.New(templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Mount("/demo", demo.Handler(demo.Options{Realm: demoRealm, WSFedURL: wsfedURL, Trusted: []*x509.Certificate{k[0].Certificate},
		Pages: pages, Users: []templates.DemoUser{{Username: "alice", Password: "pw", OTPAuthURI: "otpauth://totp/demo:alice?secret=ABC"}}}))
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &rp{t: t, srv: srv, trusted: k[0], other: k[1], pages: pages}
}

func (p *rp) client() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		p.t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// begin starts a sign-in as AD FS would and returns the wctx it sent.
func (p *rp) begin(c *http.Client) string {
	t := p.t
	t.Helper()
	res, err := c.Get(p.srv.URL + "/demo/begin")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), wsfedURL+"?") {
		t.Fatalf("begin: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	// The request is one claimgate's own parser accepts for this realm.
	req, err := wsfed.ParseRequest(loc.Query(), wsfed.PartyList{{Identifier: demoRealm, ReplyURL: p.srv.URL + demo.ReplyPath}})
	if err != nil || req.Action != wsfed.ActionSignIn || req.Context == "" {
		t.Fatalf("begin sent a request claimgate refuses: %v", err)
	}
	var cookie *http.Cookie
	for _, ck := range res.Cookies() {
		cookie = ck
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/demo/" {
		t.Fatalf("wctx cookie: %+v", cookie)
	}
	return req.Context
}

// token is a wresult signed by key for audience, issued at now.
func (p *rp) token(key *certs.KeyPair, audience string, now time.Time) string {
	t := p.t
	t.Helper()
	iss, err := sts.NewIssuer(sts.IssuerConfig{EntityID: "https://claimgate.example.test/", Signer: key.Key, Certificate: key.Certificate,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	party := &wsfed.RelyingParty{Identifier: audience, ReplyURL: p.srv.URL + demo.ReplyPath}
	resp, err := iss.IssueWSFed(&wsfed.Request{Action: wsfed.ActionSignIn, Party: party, Realm: audience, Reply: party.ReplyURL},
		saml11.Subject{NameID: "alice@example.test"},
		[]claims.Claim{{Type: claims.UPN, Values: []string{"alice@example.test"}}, {Type: claims.AuthnMethodsReferences, Values: []string{claims.AMRPassword, claims.MultipleAuthn}}},
		saml11.Authn{Method: claims.MultipleAuthn, Instant: now})
	if err != nil {
		t.Fatal(err)
	}
	return resp.WResult
}

// receive POSTs a token to the demo's reply endpoint.
func (p *rp) receive(c *http.Client, body string) (int, string) {
	t := p.t
	t.Helper()
	res, err := c.Post(p.srv.URL+demo.ReplyPath, "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q", ct)
	}
	return res.StatusCode, string(b)
}

func form(wa, wresult, wctx string) string {
	return url.Values{"wa": {wa}, "wresult": {wresult}, "wctx": {wctx}}.Encode()
}

// TestReceive: the demo accepts exactly a token signed by the trusted
// key, for its realm, in its lifetime, with wa=wsignin1.0 and the wctx it
// sent, and refuses each single deviation.
func TestReceive(t *testing.T) {
	p := newRP(t)
	now := time.Now()
	good := p.token(p.trusted, demoRealm, now)
	accepted, rejected := p.pages.T("demo.accepted"), p.pages.T("demo.rejected")

	c := p.client()
	wctx := p.begin(c)
	status, body := p.receive(c, form("wsignin1.0", good, wctx))
	if status != http.StatusOK || !strings.Contains(body, accepted) || strings.Contains(body, rejected) {
		t.Fatalf("good token: %d\n%s", status, body)
	}
	for _, want := range []string{"alice@example.test", claims.MultipleAuthn, "https://claimgate.example.test/", demoRealm} {
		if !strings.Contains(body, want) {
			t.Errorf("accepted page does not show %q", want)
		}
	}
	// The context works once: the same POST again finds no wctx cookie.
	if status, body := p.receive(c, form("wsignin1.0", good, wctx)); status != http.StatusForbidden || !strings.Contains(body, rejected) {
		t.Fatalf("replayed POST: %d", status)
	}

	for _, c := range []struct {
		name string
		body func(wctx string) string
		// fresh starts without the wctx cookie.
		fresh bool
	}{
		{"signed by another key", func(w string) string { return form("wsignin1.0", p.token(p.other, demoRealm, now), w) }, false},
		{"for another audience", func(w string) string { return form("wsignin1.0", p.token(p.trusted, "urn:other", now), w) }, false},
		{"expired", func(w string) string {
			return form("wsignin1.0", p.token(p.trusted, demoRealm, now.Add(-3*time.Hour)), w)
		}, false},
		{"tampered", func(w string) string {
			return form("wsignin1.0", strings.Replace(good, "alice@example.test", "admin@example.test", 1), w)
		}, false},
		{"wrong wctx", func(w string) string { return form("wsignin1.0", good, w+"x") }, false},
		{"empty wctx", func(string) string { return form("wsignin1.0", good, "") }, false},
		{"no wctx cookie", func(w string) string { return form("wsignin1.0", good, w) }, true},
		{"wa is sign-out", func(w string) string { return form("wsignout1.0", good, w) }, false},
		{"no wa", func(w string) string { return url.Values{"wresult": {good}, "wctx": {w}}.Encode() }, false},
		{"no wresult", func(w string) string { return form("wsignin1.0", "", w) }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := p.client()
			wctx := p.begin(cl)
			if c.fresh {
				cl = p.client()
			}
			status, body := p.receive(cl, c.body(wctx))
			if status != http.StatusForbidden || !strings.Contains(body, rejected) || strings.Contains(body, accepted) {
				t.Errorf("%d\n%s", status, body)
			}
			if strings.Contains(body, `id="claims"`) {
				t.Error("claims of a refused token are shown")
			}
		})
	}

	t.Run("oversized body", func(t *testing.T) {
		cl := p.client()
		wctx := p.begin(cl)
		status, body := p.receive(cl, form("wsignin1.0", strings.Repeat("A", 3*saml11.MaxTokenSize), wctx))
		if status != http.StatusBadRequest || !strings.Contains(body, rejected) {
			t.Errorf("%d\n%s", status, body)
		}
	})
}

// TestStartPage shows the start link and the demo users.
func TestStartPage(t *testing.T) {
	p := newRP(t)
	res, err := p.client().Get(p.srv.URL + "/demo/")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, want := range []string{`href="/demo/begin"`, "alice", "otpauth://totp/demo:alice?secret=ABC", demoRealm} {
		if !strings.Contains(string(b), want) {
			t.Errorf("start page lacks %q", want)
		}
	}
}
