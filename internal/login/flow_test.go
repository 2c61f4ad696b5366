package login_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/sts/wsfed"
)

// trickyWctx has what AD FS's wctx and careless encoders trip over:
// & % + spaces, an encoded query, non-ASCII.
const trickyWctx = "rm=0&id=passive&ru=%2fadfs%2fls%2f%3fa%3db+c&x=100% sure über € ✓ 'q' \"dq\" <t>"

// TestFullSignIn walks /wsfed → /login → password → /login/code → code →
// auto-POST and checks every hop, the form and the token.
func TestFullSignIn(t *testing.T) {
	e := newEnv(t, setup{})
	b := e.browser()

	p := b.get(signInURL(realm, trickyWctx))
	p.wantRedirect(t, login.PathLogin)
	c1 := p.setCookie("claimgate")
	if c1 == nil || c1.Value == "" {
		t.Fatal("/wsfed set no session cookie")
	}
	if !c1.HttpOnly || c1.SameSite != http.SameSiteLaxMode || c1.Secure || c1.Path != "/" || c1.Domain != "" {
		t.Errorf("cookie flags: HttpOnly=%v SameSite=%v Secure=%v Path=%q Domain=%q", c1.HttpOnly, c1.SameSite, c1.Secure, c1.Path, c1.Domain)
	}

	lp := b.get(login.PathLogin)
	lp.wantStatus(t, http.StatusOK)
	wantInput(t, lp, "username", "text", "username")
	wantInput(t, lp, "password", "password", "current-password")
	pp := b.post(login.PathLogin, url.Values{"csrf": {lp.csrf(t)}, "username": {"alice"}, "password": {alicePassword}})
	pp.wantRedirect(t, login.PathCode)
	c2 := pp.setCookie("claimgate")
	if c2 == nil || c2.Value == c1.Value {
		t.Fatal("session id did not change after the password")
	}

	cp := b.get(login.PathCode)
	cp.wantStatus(t, http.StatusOK)
	wantInput(t, cp, "code", "text", "one-time-code")
	fin := b.post(login.PathCode, url.Values{"csrf": {cp.csrf(t)}, "code": {e.code()}})
	fin.wantStatus(t, http.StatusOK)
	c3 := fin.setCookie("claimgate")
	if c3 == nil || c3.Value == c2.Value || c3.Value == c1.Value {
		t.Fatal("session id did not change after the code")
	}

	ap := readAutoPost(t, fin)
	if ap.action != replyURL {
		t.Errorf("form action %q, want the configured reply URL %q", ap.action, replyURL)
	}
	if !slices.Equal(ap.names, []string{"wa", "wresult", "wctx"}) {
		t.Errorf("hidden fields %q, want wa, wresult, wctx", ap.names)
	}
	if ap.values["wa"] != wsfed.WaSignIn {
		t.Errorf("wa %q", ap.values["wa"])
	}
	if ap.values["wctx"] != trickyWctx {
		t.Errorf("wctx not echoed byte for byte:\n got %q\nwant %q", ap.values["wctx"], trickyWctx)
	}
	tok := e.verify(t, ap, realm)
	if tok.Issuer != entityID || tok.Audience != realm || tok.NameID != "alice@example.test" {
		t.Errorf("issuer %q audience %q subject %q", tok.Issuer, tok.Audience, tok.NameID)
	}
	for typ, want := range map[string][]string{
		claims.UPN:                {"alice@example.test"},
		claims.PrimarySID:         {aliceSID},
		claims.WindowsAccountName: {`EXAMPLE\alice`},
		claims.GroupSID:           {"S-1-5-21-1004336348-1177238915-682003330-513", "S-1-5-32-545"},
	} {
		if got := claimValues(tok, typ); !slices.Equal(got, want) {
			t.Errorf("claim %s = %q, want %q", typ, got, want)
		}
	}
	wantAMR(t, tok, claims.MultipleAuthn, claims.AMRPassword, claims.MultipleAuthn)
	for _, ev := range []string{`"first_factor_ok"`, `"second_factor_ok"`, `"token_issued"`} {
		if !strings.Contains(e.audit.String(), ev) {
			t.Errorf("audit lacks %s:\n%s", ev, e.audit.String())
		}
	}
	if strings.Contains(e.audit.String(), alicePassword) || strings.Contains(e.log.String(), alicePassword) {
		t.Error("the password reached the log or the audit trail")
	}
}

func wantInput(t testing.TB, p *page, name, typ, autocomplete string) {
	t.Helper()
	for _, in := range p.doc.all("input") {
		if in.attr["name"] == name {
			if in.attr["type"] != typ || in.attr["autocomplete"] != autocomplete {
				t.Errorf("input %s: type=%q autocomplete=%q, want %q %q", name, in.attr["type"], in.attr["autocomplete"], typ, autocomplete)
			}
			if in.attr["id"] == "" || len(p.doc.all("label")) == 0 {
				t.Errorf("input %s has no label", name)
			}
			return
		}
	}
	t.Errorf("%s: no input %q", p.req.URL.Path, name)
}

// TestSignInByPostToAnotherParty starts with a POSTed request for the
// party that shares the first one's origin: the token goes to that
// party's reply URL, for its audience.
func TestSignInByPostToAnotherParty(t *testing.T) {
	e := newEnv(t, setup{})
	b := e.browser()
	b.post(login.PathWSFed, url.Values{"wa": {wsfed.WaSignIn}, "wtrealm": {realm3}, "wctx": {"a+b c"}}).wantRedirect(t, login.PathLogin)
	b.password("alice", alicePassword).wantRedirect(t, login.PathCode)
	ap := readAutoPost(t, b.enterCode(e.code()))
	if ap.action != reply3 || ap.values["wctx"] != "a+b c" {
		t.Errorf("action %q wctx %q", ap.action, ap.values["wctx"])
	}
	e.verify(t, ap, realm3)
}

// TestRequestedWauthEchoed: a relying party that asks for a password
// method (any of the four URIs AD FS and Entra ID send) gets exactly that
// URI in the AuthenticationStatement after a two-factor sign-in; the amr
// claim still says the second factor was used.
func TestRequestedWauthEchoed(t *testing.T) {
	e := newEnv(t, setup{})
	for _, wauth := range []string{claims.SAMLPassword, claims.SAML2PasswordProtectedTransport, claims.SAML2Password, claims.AMRPassword} {
		tok := e.verify(t, readAutoPost(t, e.browser().signIn(signInURL(realm, "w", "wauth", wauth))), realm)
		wantAMR(t, tok, wauth, claims.AMRPassword, claims.MultipleAuthn)
	}
}

// TestLoginHintPrefills: login_hint fills in the user name.
func TestLoginHintPrefills(t *testing.T) {
	e := newEnv(t, setup{})
	b := e.browser()
	b.get(signInURL(realm, "h", "login_hint", "alice@example.test")).wantRedirect(t, login.PathLogin)
	lp := b.get(login.PathLogin)
	for _, in := range lp.doc.all("input") {
		if in.attr["name"] == "username" && in.attr["value"] != "alice@example.test" {
			t.Errorf("username value %q", in.attr["value"])
		}
	}
}

// TestSessionIDRotates: the id changes at /wsfed, after the password and
// after the code, and every id left behind is dead.
func TestSessionIDRotates(t *testing.T) {
	e := newEnv(t, setup{})
	b := e.browser()
	b.get(signInURL(realm, "one")).wantRedirect(t, login.PathLogin)
	id0 := b.sessionCookie()
	b.get(signInURL(realm, "two")).wantRedirect(t, login.PathLogin)
	id1 := b.sessionCookie()
	old := e.browser()
	old.setSessionCookie(id0)
	old.get(login.PathLogin).wantStatus(t, http.StatusBadRequest) // a new request replaced the old sign-in

	lp := b.get(login.PathLogin)
	csrf1 := lp.csrf(t)
	b.post(login.PathLogin, url.Values{"csrf": {csrf1}, "username": {"alice"}, "password": {alicePassword}}).wantRedirect(t, login.PathCode)
	id2 := b.sessionCookie()
	old.setSessionCookie(id1)
	p := old.post(login.PathLogin, url.Values{"csrf": {csrf1}, "username": {"alice"}, "password": {alicePassword}})
	p.wantStatus(t, http.StatusBadRequest)
	wantMessage(t, p, "error.session_expired")

	cp := b.get(login.PathCode)
	csrf2 := cp.csrf(t)
	if csrf2 == csrf1 {
		t.Error("the CSRF token did not change with the session id")
	}
	readAutoPost(t, b.post(login.PathCode, url.Values{"csrf": {csrf2}, "code": {e.code()}}))
	id3 := b.sessionCookie()
	if len(slices.Compact([]string{id0, id1, id2, id3})) != 4 || id0 == "" {
		t.Fatalf("ids did not all differ: %q", []string{id0, id1, id2, id3})
	}
	old.setSessionCookie(id2)
	old.get(login.PathCode).wantStatus(t, http.StatusBadRequest)
	wantNoToken(t, old.get(signInURL(realm, "sso with a stale id")))

	// The current id is the signed-in one.
	readAutoPost(t, b.get(signInURL(realm, "sso")))
}

// TestSecureCookies: with HTTPS the cookie is Secure, HttpOnly, SameSite
// and __Host- prefixed, HSTS is sent, and the flow still completes.
func TestSecureCookies(t *testing.T) {
	e := newEnv(t, setup{secure: true})
	b := e.browser()
	p := b.get(signInURL(realm, "s"))
	p.wantRedirect(t, login.PathLogin)
	c := p.setCookie("__Host-claimgate")
	if c == nil {
		t.Fatalf("no __Host-claimgate cookie: %q", p.res.Header.Values("Set-Cookie"))
	}
	if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
		t.Errorf("cookie flags: Secure=%v HttpOnly=%v SameSite=%v Path=%q Domain=%q", c.Secure, c.HttpOnly, c.SameSite, c.Path, c.Domain)
	}
	if p.res.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS over HTTPS")
	}
	e.verify(t, readAutoPost(t, b.signIn(signInURL(realm, "s2"))), realm)
}
