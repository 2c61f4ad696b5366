package saml2flow_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/login/saml2flow"
)

// postCrossSite posts form to path as a browser says a cross-site POST is.
func (b *browser) postCrossSite(t *testing.T, path string, form url.Values) *page {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &page{status: res.StatusCode, header: res.Header, body: string(body)}
}

// TestCrossSitePOSTIsRepostedSameOrigin: an HTTP-POST AuthnRequest or
// LogoutRequest a browser marks cross-site (which carries no SameSite=Lax
// session cookie) is answered, before any parsing, by a page that posts
// the same fields again to the same endpoint path on claimgate's origin
// with a marker; that re-post is processed (its request ID was not used
// up by the first), and is never re-posted again. A field given twice
// stays twice, so the parser still refuses it.
func TestCrossSitePOSTIsRepostedSameOrigin(t *testing.T) {
	e := newEnv(t, setup{})
	b := e.browser()
	form := postForm(t, authnRequest("id-cross-1", "", ""), "relay&state", nil, "request")
	first := b.postCrossSite(t, saml2flow.PathSSO, form).autoPost(t)
	if first.action != saml2flow.PathSSO || first.fields.Get("SAMLRequest") != form.Get("SAMLRequest") ||
		first.fields.Get("RelayState") != "relay&state" || first.fields.Get("claimgate_repost") != "1" || len(first.names) != 3 {
		t.Fatalf("re-post page: %+v", first)
	}
	// The browser's second POST is same-origin; even if it were marked
	// cross-site again, the marker stops a loop.
	b.postCrossSite(t, saml2flow.PathSSO, first.fields).wantRedirect(t, login.PathLogin)

	twice := postForm(t, authnRequest("id-cross-2", "", ""), "", nil, "request")
	twice.Add("SAMLRequest", twice.Get("SAMLRequest"))
	again := b.postCrossSite(t, saml2flow.PathSSO, twice).autoPost(t)
	if len(again.fields["SAMLRequest"]) != 2 {
		t.Fatalf("re-post dropped a repeated field: %+v", again)
	}
	b.post(saml2flow.PathSSO, again.fields).want(t, http.StatusBadRequest)

	// Without Sec-Fetch-Site (no browser, or an old one) nothing changes.
	b.post(saml2flow.PathSSO, postForm(t, authnRequest("id-cross-3", "", ""), "", nil, "request")).wantRedirect(t, login.PathLogin)

	// The logout endpoint does the same for a LogoutRequest; a
	// LogoutResponse (answered inside a frame, and changing nothing) is not
	// re-posted.
	lo := postForm(t, logoutRequestXMLAt(e, "id-cross-slo"), "", e.sp, "request")
	if p := b.postCrossSite(t, saml2flow.PathSLO, lo).autoPost(t); p.action != saml2flow.PathSLO || p.fields.Get("SAMLRequest") != lo.Get("SAMLRequest") {
		t.Errorf("logout re-post page: %+v", p)
	}
	if p := b.postCrossSite(t, saml2flow.PathSLO, url.Values{"SAMLResponse": {"PHg+"}}); p.status != http.StatusOK || strings.Contains(p.body, "autopost") {
		t.Errorf("LogoutResponse re-posted: %d\n%s", p.status, p.body)
	}
}

// logoutRequestXMLAt is SP 1's LogoutRequest for alice, unsigned XML (the
// caller signs it by the binding).
func logoutRequestXMLAt(e *env, id string) string {
	return `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="` + id + `" Version="2.0" IssueInstant="` +
		e.clk.Now().Format("2006-01-02T15:04:05.000Z") + `" Destination="` + sloURL + `">` +
		`<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">` + spID + `</Issuer>` +
		`<NameID xmlns="urn:oasis:names:tc:SAML:2.0:assertion" Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">alice@example.test</NameID></samlp:LogoutRequest>`
}

// TestCrossSiteWSFedPOSTKeepsTheSession: a WS-Federation sign-in request
// another site posts comes without the Lax session cookie; before, it
// started a new session whose cookie replaced the user's, ending single
// sign-on and orphaning the record of the SAML SPs to tell at sign-out
// (attacker review 1b). Now it is posted again from claimgate's origin,
// finds the session (single sign-on: the token at once) and the session,
// with its SAML parties, lives on.
func TestCrossSiteWSFedPOSTKeepsTheSession(t *testing.T) {
	e := newEnv(t, setup{sp2: true})
	b := e.browser()
	signedInTwice(t, e, b)
	form := url.Values{"wa": {"wsignin1.0"}, "wtrealm": {wsRealm}, "wctx": {"c&x"}}
	p := b.postCrossSite(t, login.PathWSFed, form)
	if sc := p.header.Values("Set-Cookie"); len(sc) != 0 {
		t.Fatalf("the cross-site POST set cookies %v", sc)
	}
	first := p.autoPost(t)
	if first.action != login.PathWSFed || first.fields.Get("wctx") != "c&x" || first.fields.Get("wtrealm") != wsRealm ||
		first.fields.Get(login.RepostField) != "1" || len(first.names) != 4 {
		t.Fatalf("re-post page: %+v", first)
	}
	if ap := b.post(first.action, first.fields).autoPost(t); ap.action != wsReply || ap.fields.Get("wctx") != "c&x" {
		t.Fatalf("the re-post got no single sign-on: %+v", ap)
	}
	// The SAML SPs are still the session's: a confirmed sign-out tells
	// both.
	out := b.confirmSignOut(t, b.get("/wsfed?wa=wsignout1.0")).want(t, http.StatusOK)
	if n := len(signoutFormRE.FindAllString(out.body, -1)); n != 2 {
		t.Fatalf("%d SAML SPs told after the cross-site POST, want 2:\n%s", n, out.body)
	}
}
