package login_test

import (
	"crypto/x509"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/sts/saml11"
	"github.com/claimgate/claimgate/sts/wsfed"
	"github.com/claimgate/claimgate/templates"
)

// signInURL is a WS-Fed sign-in request as AD FS sends it.
func signInURL(realm, wctx string, extra ...string) string {
	q := url.Values{"wa": {wsfed.WaSignIn}, "wtrealm": {realm}, "wctx": {wctx}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return login.PathWSFed + "?" + q.Encode()
}

// password submits the first factor from the login page.
func (b *browser) password(user, pw string) *page {
	t := b.e.t
	t.Helper()
	lp := b.get(login.PathLogin)
	lp.wantStatus(t, http.StatusOK)
	return b.post(login.PathLogin, url.Values{"csrf": {lp.csrf(t)}, "username": {user}, "password": {pw}})
}

// enterCode submits a one-time code from the code page.
func (b *browser) enterCode(code string) *page {
	t := b.e.t
	t.Helper()
	cp := b.get(login.PathCode)
	cp.wantStatus(t, http.StatusOK)
	return b.post(login.PathCode, url.Values{"csrf": {cp.csrf(t)}, "code": {code}})
}

// signIn runs the whole flow for alice and returns the auto-POST page.
// The clock moves first, so each sign-in has a TOTP step of its own
// (a code is accepted once only).
func (b *browser) signIn(u string) *page {
	t := b.e.t
	t.Helper()
	b.e.clk.Advance(2 * time.Minute)
	b.get(u).wantRedirect(t, login.PathLogin)
	b.password("alice", alicePassword).wantRedirect(t, login.PathCode)
	p := b.enterCode(b.e.code())
	p.wantStatus(t, http.StatusOK)
	return p
}

// wrongCode is a 6-digit code that is not valid in the verifier's window.
func (e *env) wrongCode() string {
	secret, err := mfa.DecodeBase32(aliceTOTP)
	if err != nil {
		e.t.Fatal(err)
	}
	var valid []string
	for d := -2; d <= 2; d++ {
		valid = append(valid, mfa.TOTPAt(secret, e.clk.Now().Add(time.Duration(d)*30*time.Second), mfa.OATHParams{}))
	}
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if !slices.Contains(valid, c) {
			return c
		}
	}
	e.t.Fatal("no wrong code found")
	return ""
}

// autoPost is the form that carries the token to the relying party.
type autoPost struct {
	action string
	names  []string
	values map[string]string
}

// readAutoPost reads the auto-POST form and checks that it submits without
// JavaScript: a submit button inside the form, outside <noscript>.
func readAutoPost(t testing.TB, p *page) autoPost {
	t.Helper()
	if p.doc == nil {
		t.Fatalf("not a page: %s", p.body)
	}
	var form *node
	for _, f := range p.doc.all("form") {
		if f.attr["id"] == "autopost" {
			form = f
		}
	}
	if form == nil {
		t.Fatalf("no auto-POST form in\n%s", p.body)
	}
	if !strings.EqualFold(form.attr["method"], "post") {
		t.Errorf("auto-POST form method %q", form.attr["method"])
	}
	ap := autoPost{action: form.attr["action"], values: map[string]string{}}
	for _, in := range form.all("input") {
		if in.attr["type"] != "hidden" {
			t.Errorf("auto-POST form has a visible input %q", in.attr["name"])
		}
		ap.names = append(ap.names, in.attr["name"])
		ap.values[in.attr["name"]] = in.attr["value"]
	}
	button := false
	for _, bt := range form.all("button") {
		if bt.attr["type"] == "submit" && !bt.within("noscript") {
			button = true
		}
	}
	if !button {
		t.Errorf("auto-POST form has no submit button usable without JavaScript")
	}
	return ap
}

// verify checks the wresult as a relying party would.
func (e *env) verify(t testing.TB, ap autoPost, audience string) *saml11.Token {
	t.Helper()
	tok, err := wsfed.VerifyResult([]byte(ap.values["wresult"]), saml11.VerifyOptions{
		TrustedCerts: []*x509.Certificate{e.key.Certificate}, Audience: audience, Now: e.clk.Now})
	if err != nil {
		t.Fatalf("wresult does not verify: %v", err)
	}
	return tok
}

func claimValues(tok *saml11.Token, typ string) []string {
	for _, c := range tok.Claims {
		if c.Type == typ {
			return c.Values
		}
	}
	return nil
}

// catalogue is the embedded page set, for looking up message texts.
var catalogue = sync.OnceValues(func() (*templates.Set, error) { return templates.New(templates.Options{}) })

// wantMessage asserts that the page shows the catalogue text of key.
func wantMessage(t testing.TB, p *page, key string) {
	t.Helper()
	pages, err := catalogue()
	if err != nil {
		t.Fatal(err)
	}
	msg := pages.T(key)
	if msg == key {
		t.Fatalf("message %q is not in the catalogue", key)
	}
	if p.doc == nil || !strings.Contains(p.doc.textContent(), msg) {
		t.Fatalf("%s %s: page does not say %q (%s):\n%s", p.req.Method, p.req.URL.Path, msg, key, p.body)
	}
}

func wantNoToken(t testing.TB, p *page) {
	t.Helper()
	if strings.Contains(p.body, `id="autopost"`) || strings.Contains(p.body, "RequestSecurityTokenResponse") {
		t.Fatalf("%s %s: a token went out:\n%s", p.req.Method, p.req.URL.Path, p.body)
	}
}

// wantAMR asserts the token's authentication facts.
func wantAMR(t testing.TB, tok *saml11.Token, method string, amr ...string) {
	t.Helper()
	if tok.AuthMethod != method {
		t.Errorf("AuthenticationMethod %q, want %q", tok.AuthMethod, method)
	}
	if got := claimValues(tok, claims.AuthnMethodsReferences); !slices.Equal(got, amr) {
		t.Errorf("authnmethodsreferences %q, want %q", got, amr)
	}
}

// msg is the catalogue text of key.
func (e *env) msg(key string) string {
	e.t.Helper()
	pages, err := catalogue()
	if err != nil {
		e.t.Fatal(err)
	}
	return pages.T(key)
}
