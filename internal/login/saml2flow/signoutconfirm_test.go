package saml2flow_test

import (
	"context"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/login/saml2flow"
	"github.com/claimgate/claimgate/internal/testutil"
)

var confirmFormRE = regexp.MustCompile(`<form method="post" action="([^"]*)">`)

// confirmSignOut checks that p is the "sign out?" page and presses its
// button: the form posted back to /wsfed with the session's CSRF token.
func (b *browser) confirmSignOut(t *testing.T, p *page) *page {
	t.Helper()
	f := confirmForm(t, p)
	return b.post(f.action, f.fields)
}

type confirmPage struct {
	action string
	fields url.Values
}

func confirmForm(t *testing.T, p *page) confirmPage {
	t.Helper()
	p.want(t, http.StatusOK)
	if !strings.Contains(p.body, "<h1>Sign out?</h1>") {
		t.Fatalf("not the sign-out question:\n%s", p.body)
	}
	m := confirmFormRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no form:\n%s", p.body)
	}
	if sigs := signoutFormRE.FindAllString(p.body, -1); len(sigs) != 0 || len(frameRE.FindAllString(p.body, -1)) != 0 {
		t.Fatalf("the question already tells parties:\n%s", p.body)
	}
	f := url.Values{}
	for _, fm := range fieldRE.FindAllStringSubmatch(p.body, -1) {
		f.Add(html.UnescapeString(fm[1]), html.UnescapeString(fm[2]))
	}
	return confirmPage{action: html.UnescapeString(m[1]), fields: f}
}

// stillSignedIn: a SAML AuthnRequest of SP 1 is answered at once with a
// Response (single sign-on), so the session lives.
func stillSignedIn(t *testing.T, e *env, b *browser, id string) {
	t.Helper()
	e.readResponse(t, b.get(saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest(id, "", ""), "", nil)).autoPost(t), spACS)
}

// TestWSFedSignOutAsksBeforeTellingSAMLSPs: wsignout1.0 carries no
// signature, and any site can send it with the session cookie (a link, a
// top-level GET goes with SameSite=Lax). In a session with SAML SPs it no
// longer ends the session and has claimgate sign LogoutRequests ending the
// user's sessions at those SPs: it asks first, and only the question's
// own POST (with the session's CSRF token) signs out. A forged
// confirmation (no token, a wrong one) is refused and changes nothing; the
// wreply the request carried survives the question.
func TestWSFedSignOutAsksBeforeTellingSAMLSPs(t *testing.T) {
	e := newEnv(t, setup{sp2: true})
	b := e.browser()
	signedInTwice(t, e, b)
	before := strings.Count(e.audit.String(), `"event":"sign_out"`)

	q := url.Values{"wa": {"wsignout1.0"}, "wreply": {wsReply}}
	f := confirmForm(t, b.get("/wsfed?"+q.Encode()))
	if f.action != login.PathWSFed || f.fields.Get("wa") != "wsignout1.0" || f.fields.Get("wreply") != wsReply ||
		f.fields.Get(login.FieldConfirmSignOut) == "" || f.fields.Get("csrf") == "" {
		t.Fatalf("question's form: %s %v", f.action, f.fields)
	}
	stillSignedIn(t, e, b, "id-after-question")

	// A confirmation forged by another site: the fields without the
	// token, or with a wrong one.
	forged := url.Values{"wa": {"wsignout1.0"}, login.FieldConfirmSignOut: {"1"}}
	b.post(login.PathWSFed, forged).want(t, http.StatusForbidden)
	forged.Set("csrf", "not-the-token")
	b.post(login.PathWSFed, forged).want(t, http.StatusForbidden)
	stillSignedIn(t, e, b, "id-after-forged")
	if n := strings.Count(e.audit.String(), `"event":"sign_out"`); n != before {
		t.Fatalf("%d sign-outs audited before the user confirmed", n-before)
	}

	p := b.post(f.action, f.fields).want(t, http.StatusOK)
	if n := len(signoutFormRE.FindAllString(p.body, -1)); n != 2 {
		t.Fatalf("%d SAML SPs told after the confirmation, want 2:\n%s", n, p.body)
	}
	if !strings.Contains(p.body, `<a id="continue" href="`+html.EscapeString(wsReply)+`">`) {
		t.Errorf("wreply lost through the question:\n%s", p.body)
	}
	b.get(saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest("id-after-out", "", ""), "", nil)).wantRedirect(t, login.PathLogin)
}

// TestWSFedSignOutWithoutOtherPartiesAsksNothing: a session whose only
// parties are WS-Fed relying parties (AD FS) ends at once on wsignout1.0,
// as before: that changes nothing beyond claimgate's own session, and AD
// FS's sign-out is not held up by a question.
func TestWSFedSignOutWithoutOtherPartiesAsksNothing(t *testing.T) {
	e := newEnv(t, setup{})
	b := e.browser()
	b.get("/wsfed?"+url.Values{"wa": {"wsignin1.0"}, "wtrealm": {wsRealm}}.Encode()).wantRedirect(t, login.PathLogin)
	if ap := b.signIn(t).autoPost(t); ap.action != wsReply {
		t.Fatalf("token posted to %q", ap.action)
	}
	p := b.get("/wsfed?wa=wsignout1.0").want(t, http.StatusOK)
	if strings.Contains(p.body, "Sign out?") || !strings.Contains(p.body, "signed out") {
		t.Fatalf("not signed out at once:\n%s", p.body)
	}
	b.get("/wsfed?"+url.Values{"wa": {"wsignin1.0"}, "wtrealm": {wsRealm}}.Encode()).wantRedirect(t, login.PathLogin)
}

// TestChromiumCrossSiteWSFedSignOutAsks: a page on another site sends
// the browser, top-level, to wsignout1.0 (the session cookie goes with
// it, SameSite=Lax): in real Chromium, claimgate shows the question and
// ends nothing; pressing its button (a same-origin POST the page's CSP
// allows) ends the session.
func TestChromiumCrossSiteWSFedSignOutAsks(t *testing.T) {
	e := newEnv(t, setup{})
	ctx, cancel := context.WithTimeout(testutil.Browser(t), 90*time.Second)
	defer cancel()
	chromeSignIn(t, ctx, e)
	target := e.srv.URL + login.PathWSFed + "?wa=wsignout1.0"
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<!doctype html><script>location.href = "` + target + `"</script>`))
	}))
	defer evil.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(evil.URL, "http://"))
	navigateAway(t, ctx, "the other site", "http://localhost:"+port+"/")
	run(t, ctx, "the question", chromedp.WaitVisible(chromedp.CSS("form button[type=submit]")))
	h1, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil {
		t.Fatal(err)
	}
	if h1 = strings.TrimSpace(h1); h1 != "Sign out?" {
		t.Fatalf("heading %q", h1)
	}
	if strings.Contains(e.audit.String(), `"sign_out"`) {
		t.Fatal("signed out before the user answered")
	}
	run(t, ctx, "sign out", chromedp.Click(chromedp.CSS("form button[type=submit]")))
	waitFor(t, "session ended", func() bool { return strings.Contains(e.audit.String(), `"sign_out"`) })
}
