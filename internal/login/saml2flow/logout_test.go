package saml2flow_test

import (
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/login/saml2flow"
	"github.com/claimgate/claimgate/sts/saml2"
)

var (
	sessionIndexRE = regexp.MustCompile(`SessionIndex="([^"]+)"`)
	signoutFormRE  = regexp.MustCompile(`<form class="signout" method="post" action="([^"]*)" target="(signout-\d+)">\s*<input type="hidden" name="SAMLRequest" value="([^"]*)">`)
	frameRE        = regexp.MustCompile(`<iframe class="signout"[^>]*>`)
	dataSrcRE      = regexp.MustCompile(`<iframe class="signout" data-src="([^"]*)"`)
	continueRE     = regexp.MustCompile(`<form id="continue" method="post" action="([^"]*)">`)
)

// spLogout is the SP's signed LogoutRequest for nameID and, when set,
// sessionIndex, by HTTP-Redirect.
func (e *env) spLogout(id, nameID, sessionIndex string) string {
	x := `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="` + id + `" Version="2.0" IssueInstant="` +
		e.clk.Now().Format("2006-01-02T15:04:05.000Z") + `" Destination="` + sloURL + `">` +
		`<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">` + spID + `</Issuer>` +
		`<NameID xmlns="urn:oasis:names:tc:SAML:2.0:assertion" Format="` + saml2.NameIDUnspecified + `">` + nameID + `</NameID>`
	if sessionIndex != "" {
		x += `<samlp:SessionIndex>` + sessionIndex + `</samlp:SessionIndex>`
	}
	return saml2flow.PathSLO + "?" + redirectQuery(e.t, x+`</samlp:LogoutRequest>`, relayState, e.sp.Key)
}

// signedInTwice signs b in to the first SP, then (single sign-on) to the
// second SP and the WS-Fed relying party, and returns the SessionIndex
// each SAML SP received.
func signedInTwice(t *testing.T, e *env, b *browser) (sp1Index, sp2Index string) {
	t.Helper()
	b.get(saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest("id-sp1", "", ""), "", nil)).wantRedirect(t, login.PathLogin)
	a1 := e.readResponse(t, b.signIn(t).autoPost(t), spACS)
	req2 := strings.Replace(authnRequest("id-sp2", "", ""), spID, sp2ID, 1)
	a2 := e.readResponse(t, b.get(saml2flow.PathSSO+"?"+redirectQuery(t, req2, "", nil)).autoPost(t), sp2ACS)
	if ap := b.get("/wsfed?" + url.Values{"wa": {"wsignin1.0"}, "wtrealm": {wsRealm}}.Encode()).autoPost(t); ap.action != wsReply {
		t.Fatalf("WS-Fed token posted to %q", ap.action)
	}
	m1, m2 := sessionIndexRE.FindStringSubmatch(string(a1.xml)), sessionIndexRE.FindStringSubmatch(string(a2.xml))
	if m1 == nil || m2 == nil || m1[1] == m2[1] {
		t.Fatalf("SessionIndexes %v %v", m1, m2)
	}
	return m1[1], m2[1]
}

// TestSLOTellsTheOtherParties: SP 1's LogoutRequest naming the NameID and
// SessionIndex it was issued ends the session; the "signing out" page
// posts a LogoutRequest signed by us to SP 2's SLO in a frame (its NameID
// and SessionIndex as SP 2 was issued them, Destination, NotOnOrAfter),
// loads wsignoutcleanup1.0 at the WS-Fed reply URL in another, allows
// exactly those two origins as frame-src, and then posts a signed Success
// LogoutResponse to SP 1. The next request needs a password.
func TestSLOTellsTheOtherParties(t *testing.T) {
	e := newEnv(t, setup{sp2: true})
	b := e.browser()
	idx1, idx2 := signedInTwice(t, e, b)

	p := b.get(e.spLogout("id-slo-1", "alice@example.test", idx1)).want(t, http.StatusOK)
	policy := directives(p.header.Get("Content-Security-Policy"))
	if policy["frame-src"] != "'self' https://shib.example.test https://app.example.test" || policy["frame-ancestors"] != "'none'" ||
		policy["form-action"] != "" || policy["script-src"] != "'self'" {
		t.Errorf("signing-out CSP %q", p.header.Get("Content-Security-Policy"))
	}
	if n := len(frameRE.FindAllString(p.body, -1)); n != 2 {
		t.Fatalf("%d frames, want 2 (SP 2 and the WS-Fed party; not SP 1):\n%s", n, p.body)
	}
	forms := signoutFormRE.FindAllStringSubmatch(p.body, -1)
	if len(forms) != 1 || html.UnescapeString(forms[0][1]) != sp2SLO || !strings.Contains(p.body, `name="`+forms[0][2]+`"`) {
		t.Fatalf("LogoutRequest forms %v:\n%s", forms, p.body)
	}
	raw, err := base64.StdEncoding.DecodeString(html.UnescapeString(forms[0][3]))
	if err != nil {
		t.Fatal(err)
	}
	if out, ok := xmlsecVerify(t, e, raw, "--id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest"); !ok {
		t.Errorf("xmlsec1 refuses the LogoutRequest to SP 2:\n%s", out)
	}
	doc := string(raw)
	for _, want := range []string{`Destination="` + sp2SLO + `"`, `NotOnOrAfter="` + e.clk.Now().Add(saml2.DefaultLogoutWindow).UTC().Format("2006-01-02T15:04:05.000Z") + `"`,
		`>alice@example.test</saml:NameID>`, `<samlp:SessionIndex>` + idx2 + `</samlp:SessionIndex>`, `<saml:Issuer>` + entityID + `</saml:Issuer>`} {
		if !strings.Contains(doc, want) {
			t.Errorf("LogoutRequest to SP 2 lacks %s:\n%s", want, doc)
		}
	}
	if strings.Contains(doc, idx1) {
		t.Error("SP 2 is sent SP 1's SessionIndex")
	}
	if m := dataSrcRE.FindStringSubmatch(p.body); m == nil || html.UnescapeString(m[1]) != wsReply+"?wa=wsignoutcleanup1.0" {
		t.Errorf("WS-Fed cleanup frame %v", m)
	}
	c := continueRE.FindStringSubmatch(p.body)
	if c == nil || html.UnescapeString(c[1]) != spACS {
		t.Fatalf("continue form %v", c)
	}
	lr := fieldRE.FindAllStringSubmatch(p.body[strings.Index(p.body, `<form id="continue"`):], -1)
	ap := autoPost{action: spACS, fields: url.Values{}}
	for _, f := range lr {
		ap.fields.Add(html.UnescapeString(f[1]), html.UnescapeString(f[2]))
	}
	lraw, root := decodeMessage(t, ap)
	if root.Tag != "LogoutResponse" || root.SelectAttrValue("InResponseTo", "") != "id-slo-1" || !strings.Contains(string(lraw), saml2.StatusSuccess+`"></samlp:StatusCode></samlp:Status>`) ||
		strings.Contains(string(lraw), saml2.StatusPartialLogout) || ap.fields.Get("RelayState") != relayState {
		t.Errorf("not a plain Success LogoutResponse to id-slo-1:\n%s", lraw)
	}
	if out, ok := xmlsecVerify(t, e, lraw, "--id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse"); !ok {
		t.Errorf("xmlsec1 refuses the LogoutResponse:\n%s", out)
	}
	if !strings.Contains(e.audit.String(), `"sign_out"`) {
		t.Errorf("audit lacks sign_out:\n%s", e.audit.String())
	}
	b.get(saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest("id-after-slo", "", ""), "", nil)).wantRedirect(t, login.PathLogin)

	// SP 2 answers from its frame: a signed answer to our request is
	// taken, any other ignored; each gets 200 and a tiny page only our
	// own pages may frame.
	reqID := regexp.MustCompile(`ID="([^"]+)"`).FindStringSubmatch(doc)[1]
	for name, tc := range map[string]struct {
		form url.Values
		log  string
	}{
		"answer":    {e.sp2Response("id-lr-ok", reqID, true), "service provider ended its session"},
		"unsigned":  {e.sp2Response("id-lr-unsigned", reqID, false), "LogoutResponse ignored"},
		"unmatched": {e.sp2Response("id-lr-other", "id-never-sent", true), "answers no LogoutRequest we sent"},
	} {
		from := len(e.log.String())
		p := b.post(saml2flow.PathSLO, tc.form).want(t, http.StatusOK)
		if p.body != "signed out\n" || !strings.Contains(p.header.Get("Content-Security-Policy"), "frame-ancestors 'self'") ||
			p.header.Get("X-Frame-Options") != "SAMEORIGIN" {
			t.Errorf("%s: body %q, CSP %q", name, p.body, p.header.Get("Content-Security-Policy"))
		}
		if !strings.Contains(e.log.String()[from:], tc.log) {
			t.Errorf("%s: log lacks %q:\n%s", name, tc.log, e.log.String()[from:])
		}
	}
}

// sp2Response is SP 2's LogoutResponse to inResponseTo by HTTP-POST.
func (e *env) sp2Response(id, inResponseTo string, signed bool) url.Values {
	x := `<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="` + id + `" Version="2.0" IssueInstant="` +
		e.clk.Now().Format("2006-01-02T15:04:05.000Z") + `" Destination="` + sloURL + `" InResponseTo="` + inResponseTo + `">` +
		`<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">` + sp2ID + `</Issuer>` +
		`<samlp:Status><samlp:StatusCode Value="` + saml2.StatusSuccess + `"/></samlp:Status></samlp:LogoutResponse>`
	key := e.sp
	if !signed {
		key = nil
	}
	f := postForm(e.t, x, "", key, "response")
	return url.Values{"SAMLResponse": f["SAMLRequest"]}
}

// TestSLOMismatchKeepsTheSession: a signed LogoutRequest naming another
// user, or a SessionIndex this session did not issue, ends nothing and
// is answered Requester/UnknownPrincipal (saml-core §3.7.3.2: an error
// status when the session authority cannot end the principal's session;
// §3.2.2.2: the principal is not recognised); single sign-on still works.
func TestSLOMismatchKeepsTheSession(t *testing.T) {
	e := newEnv(t, setup{})
	b := e.browser()
	b.get(saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest("id-mm", "", ""), "", nil)).wantRedirect(t, login.PathLogin)
	a := e.readResponse(t, b.signIn(t).autoPost(t), spACS)
	idx := sessionIndexRE.FindStringSubmatch(string(a.xml))[1]
	for name, q := range map[string]string{
		"other user":         e.spLogout("id-mm-user", "bob@example.test", idx),
		"other SessionIndex": e.spLogout("id-mm-index", "alice@example.test", "_not-ours"),
	} {
		ap := b.get(q).autoPost(t)
		raw, root := decodeMessage(t, ap)
		if root.Tag != "LogoutResponse" || !strings.Contains(string(raw), saml2.StatusRequester) || !strings.Contains(string(raw), saml2.StatusUnknownPrincipal) {
			t.Errorf("%s: not Requester/UnknownPrincipal:\n%s", name, raw)
		}
		if out, ok := xmlsecVerify(t, e, raw, "--id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse"); !ok {
			t.Errorf("%s: xmlsec1: %s", name, out)
		}
		checkSignedIn(t, e.readResponse(t, b.get(saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest("id-still-"+strings.ReplaceAll(name, " ", "-"), "", ""), "", nil)).autoPost(t), spACS),
			"id-still-"+strings.ReplaceAll(name, " ", "-"), spACS)
	}
	if strings.Contains(e.audit.String(), `"sign_out"`) {
		t.Errorf("a refused logout was audited as a sign-out:\n%s", e.audit.String())
	}
	// Without a SessionIndex, every session of the NameID at the SP: this one.
	ap := b.get(e.spLogout("id-mm-all", "alice@example.test", "")).autoPost(t)
	if raw, _ := decodeMessage(t, ap); !strings.Contains(string(raw), saml2.StatusSuccess) {
		t.Errorf("NameID alone: %s", raw)
	}
	b.get(saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest("id-mm-after", "", ""), "", nil)).wantRedirect(t, login.PathLogin)
}

// TestSLOWithoutSession: a browser without a signed-in session is
// already signed out: the SP gets Success, signed.
func TestSLOWithoutSession(t *testing.T) {
	e := newEnv(t, setup{})
	ap := e.browser().get(e.spLogout("id-none", "alice@example.test", "_x")).autoPost(t)
	raw, root := decodeMessage(t, ap)
	if root.Tag != "LogoutResponse" || !strings.Contains(string(raw), `<samlp:StatusCode Value="`+saml2.StatusSuccess+`"></samlp:StatusCode></samlp:Status>`) {
		t.Errorf("not Success:\n%s", raw)
	}
	if out, ok := xmlsecVerify(t, e, raw, "--id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse"); !ok {
		t.Errorf("xmlsec1: %s", out)
	}
}

// TestWSFedSignOutTellsSAMLSPs: wsignout1.0 at claimgate (sign-out
// started at AD FS) tells the session's SAML SPs in frames, not the WS-Fed
// party, then shows the "signed out" page through a link; since anyone
// can send wsignout1.0, it does so only once the user has confirmed it
// (TestWSFedSignOutAsksBeforeTellingSAMLSPs).
func TestWSFedSignOutTellsSAMLSPs(t *testing.T) {
	e := newEnv(t, setup{sp2: true})
	b := e.browser()
	signedInTwice(t, e, b)
	p := b.confirmSignOut(t, b.get("/wsfed?wa=wsignout1.0")).want(t, http.StatusOK)
	forms := signoutFormRE.FindAllStringSubmatch(p.body, -1)
	if len(forms) != 2 || len(frameRE.FindAllString(p.body, -1)) != 2 || dataSrcRE.MatchString(p.body) {
		t.Fatalf("frames: %v\n%s", forms, p.body)
	}
	if got := directives(p.header.Get("Content-Security-Policy"))["frame-src"]; got != "'self' https://adfs.example.test https://shib.example.test" {
		t.Errorf("frame-src %q", got)
	}
	if !strings.Contains(p.body, `<a id="continue" href="`+login.PathSignedOut+`">`) {
		t.Errorf("no link to the signed-out page:\n%s", p.body)
	}
	if sp := b.get(login.PathSignedOut).want(t, http.StatusOK); !strings.Contains(sp.body, "signed out") {
		t.Errorf("signed-out page: %s", sp.body)
	}
	b.get(saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest("id-after-ws", "", ""), "", nil)).wantRedirect(t, login.PathLogin)
}

// TestRefusalsAuditedAsSuch: an error Response after a sign-in is
// audited as sign_in_refused with the SAML status as reason, never
// token_issued. One before anyone signed in (NoPassive to a browser with
// no session) names no user and is in the service log only: anyone can
// send such requests at any rate, and each audit record was a stored row
// kept for the retention (attacker review 3).
func TestRefusalsAuditedAsSuch(t *testing.T) {
	e := newEnv(t, setup{})
	for i := range 20 {
		e.browser().get(saml2flow.PathSSO + "?" + redirectQuery(t, authnRequest(fmt.Sprintf("id-np-%d", i), ` IsPassive="true"`, ""), "", nil)).autoPost(t)
	}
	if strings.Contains(e.audit.String(), `"sign_in_refused"`) {
		t.Errorf("a refusal before any sign-in was audited:\n%s", e.audit.String())
	}
	if n := strings.Count(e.log.String(), "sign-in request refused before any sign-in"); n != 20 || !strings.Contains(e.log.String(), "NoPassive") {
		t.Errorf("%d refusals logged, want 20:\n%s", n, e.log.String())
	}
	from := len(e.audit.String())
	b := e.browser()
	rac := `<samlp:RequestedAuthnContext Comparison="exact"><saml:AuthnContextClassRef xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">` +
		`urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>`
	b.get(saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest("id-nac", "", rac), "", nil)).wantRedirect(t, login.PathLogin)
	b.signIn(t).autoPost(t)
	got := e.audit.String()[from:]
	if strings.Contains(got, `"token_issued"`) || !strings.Contains(got, `"event":"sign_in_refused"`) || !strings.Contains(got, `"reason":"NoAuthnContext"`) {
		t.Errorf("NoAuthnContext audit:\n%s", got)
	}
	// Nothing was issued, so the SP is no party of the session: its
	// logout finds nothing to match and the session is kept.
	if raw, _ := decodeMessage(t, b.get(e.spLogout("id-nac-out", "alice@example.test", "")).autoPost(t)); !strings.Contains(string(raw), saml2.StatusUnknownPrincipal) {
		t.Errorf("logout after a refusal: %s", raw)
	}
}

// directives splits a CSP into its directives.
func directives(policy string) map[string]string {
	out := map[string]string{}
	for _, d := range strings.Split(policy, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		if name != "" {
			out[name] = value
		}
	}
	return out
}

// TestSLOOlderSessionIndex: a second Response to the same SP in one
// session has its own SessionIndex; a LogoutRequest naming the first one
// still names this session and ends it.
func TestSLOOlderSessionIndex(t *testing.T) {
	e := newEnv(t, setup{})
	b := e.browser()
	b.get(saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest("id-first", "", ""), "", nil)).wantRedirect(t, login.PathLogin)
	first := sessionIndexRE.FindStringSubmatch(string(e.readResponse(t, b.signIn(t).autoPost(t), spACS).xml))[1]
	second := sessionIndexRE.FindStringSubmatch(string(e.readResponse(t, b.get(saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest("id-second", "", ""), "", nil)).autoPost(t), spACS).xml))[1]
	if first == second {
		t.Fatal("both Responses carry one SessionIndex")
	}
	raw, _ := decodeMessage(t, b.get(e.spLogout("id-old-index", "alice@example.test", first)).autoPost(t))
	if strings.Contains(string(raw), saml2.StatusUnknownPrincipal) || !strings.Contains(string(raw), saml2.StatusSuccess) {
		t.Errorf("the older SessionIndex is not recognised:\n%s", raw)
	}
	b.get(saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest("id-after-old", "", ""), "", nil)).wantRedirect(t, login.PathLogin)
}
