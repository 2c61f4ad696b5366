package saml2flow_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/login/saml2flow"
	"github.com/claimgate/claimgate/sts/saml2"
)

// checkSignedIn asserts a successful Response for request id, as the SP
// must check it: signed by us, for it, at its ACS, in response to its
// request, for alice, after two factors.
func checkSignedIn(t *testing.T, a samlAnswer, id, acs string) {
	t.Helper()
	if a.status != saml2.StatusSuccess || !a.assertionSignedByUs {
		t.Fatalf("status %q (%q), assertion signed: %v\n%s", a.status, a.subStatus, a.assertionSignedByUs, a.xml)
	}
	if a.destination != acs || a.recipient != acs || a.inResponseTo != id || a.confirmIRT != id || a.issuer != entityID || a.audience != spID {
		t.Errorf("Destination %q Recipient %q InResponseTo %q/%q Issuer %q Audience %q", a.destination, a.recipient, a.inResponseTo, a.confirmIRT, a.issuer, a.audience)
	}
	if a.nameID != "alice@example.test" || a.nameIDFormat != saml2.NameIDUnspecified {
		t.Errorf("NameID %q (%s)", a.nameID, a.nameIDFormat)
	}
	if a.classRef != claims.MultipleAuthn {
		t.Errorf("AuthnContextClassRef %q after password and code, want multipleauthn", a.classRef)
	}
	for typ, want := range map[string][]string{claims.UPN: {"alice@example.test"}, claims.PrimarySID: {aliceSID}} {
		if got := a.attrs[typ]; !slices.Equal(got, want) {
			t.Errorf("attribute %s = %q, want %q", typ, got, want)
		}
	}
	if !slices.Contains(a.attrs[claims.AuthnMethodsReferences], claims.MultipleAuthn) {
		t.Errorf("authnmethodsreferences %q lack multipleauthn", a.attrs[claims.AuthnMethodsReferences])
	}
}

// TestRedirectSignIn: AD FS's own request by HTTP-Redirect, unsigned, with
// a RelayState → password → code → a signed Response posted to the SP's
// default ACS with the RelayState byte for byte.
func TestRedirectSignIn(t *testing.T) {
	e := newEnv(t, setup{})
	b := e.browser()
	b.get(saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest("id-redirect-1", "", ""), relayState, nil)).wantRedirect(t, login.PathLogin)
	ap := b.signIn(t).autoPost(t)
	if !slices.Equal(ap.names, []string{"SAMLResponse", "RelayState"}) {
		t.Errorf("fields %q, want SAMLResponse, RelayState", ap.names)
	}
	a := e.readResponse(t, ap, spACS)
	checkSignedIn(t, a, "id-redirect-1", spACS)
	if a.relayState != relayState {
		t.Errorf("RelayState %q, want %q", a.relayState, relayState)
	}
	if !strings.Contains(e.audit.String(), `"token_issued"`) || !strings.Contains(e.audit.String(), spID) {
		t.Errorf("audit lacks the token for %s:\n%s", spID, e.audit.String())
	}
}

// TestPOSTSignIn: a signed HTTP-POST request naming a registered second
// ACS by URL is answered there; without RelayState none is posted.
func TestPOSTSignIn(t *testing.T) {
	e := newEnv(t, setup{sp: func(sp *saml2.SP) { sp.AuthnRequestsSigned = true }})
	b := e.browser()
	req := authnRequest("id-post-1", ` AssertionConsumerServiceURL="`+spACSAlt+`" ProtocolBinding="`+saml2.BindingPOST+`"`, "")
	b.post(saml2flow.PathSSO, postForm(t, req, "", e.sp, "request")).wantRedirect(t, login.PathLogin)
	ap := b.signIn(t).autoPost(t)
	if !slices.Equal(ap.names, []string{"SAMLResponse"}) {
		t.Errorf("fields %q, want SAMLResponse alone", ap.names)
	}
	checkSignedIn(t, e.readResponse(t, ap, spACSAlt), "id-post-1", spACSAlt)
	// The same SP without its signature: refused before anything else.
	b.post(saml2flow.PathSSO, postForm(t, authnRequest("id-post-2", "", ""), "", nil, "")).want(t, http.StatusBadRequest)
}

// checkErrorPage: a refused request gets the generic 400 page, never an
// auto-POST, and nothing of the request or of our internals.
func checkErrorPage(t *testing.T, p *page, leaks ...string) {
	t.Helper()
	p.want(t, http.StatusBadRequest)
	if strings.Contains(p.body, `id="autopost"`) {
		t.Fatal("a refused request got an auto-POST page")
	}
	for _, s := range append(leaks, "saml2:", "StatusError", "Requester", "urn:oasis") {
		if strings.Contains(p.body, s) {
			t.Errorf("error page shows %q:\n%s", s, p.body)
		}
	}
}

// TestRefusedRequests: an unknown SP, an ACS URL the SP did not register
// and unreadable requests get the 400 page: nothing is posted anywhere. A
// replayed request of a known SP, whose ACS is its registered one, gets a
// RequestDenied Response there.
func TestRefusedRequests(t *testing.T) {
	e := newEnv(t, setup{})
	b := e.browser()
	unknown := strings.Replace(authnRequest("id-unknown", "", ""), spID, "https://stranger.example.test/sp", 1)
	checkErrorPage(t, b.get(saml2flow.PathSSO+"?"+redirectQuery(t, unknown, relayState, nil)), "stranger.example.test")
	evil := authnRequest("id-evil", ` AssertionConsumerServiceURL="https://evil.example.test/acs"`, "")
	checkErrorPage(t, b.get(saml2flow.PathSSO+"?"+redirectQuery(t, evil, relayState, nil)), "evil.example.test")
	// An unsigned request is not remembered (anyone can make it again
	// with a new ID): sent twice, it starts a sign-in twice, and writes
	// no used-ID row (attacker review 3). TestSignedRequestsRequired
	// replays a signed one.
	q := saml2flow.PathSSO + "?" + redirectQuery(t, authnRequest("id-once", "", ""), "", nil)
	b.get(q).wantRedirect(t, login.PathLogin)
	e.browser().get(q).wantRedirect(t, login.PathLogin)
	checkErrorPage(t, b.get(saml2flow.PathSSO+"?SAMLRequest=not-base64!"))
	checkErrorPage(t, b.get(saml2flow.PathSSO))
}

// TestSignedRequestsRequired: with want_authn_requests_signed an unsigned
// request is refused with the 400 page, a signed one starts the sign-in.
func TestSignedRequestsRequired(t *testing.T) {
	e := newEnv(t, setup{requireSigned: true})
	b := e.browser()
	checkErrorPage(t, b.get(saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest("id-unsigned", "", ""), relayState, nil)))
	b.get(saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest("id-signed", "", ""), relayState, e.sp.Key)).wantRedirect(t, login.PathLogin)
	checkSignedIn(t, e.readResponse(t, b.signIn(t).autoPost(t), spACS), "id-signed", spACS)
	// A signed request is answered once: its replay, in another
	// browser, gets a signed RequestDenied at the registered ACS.
	replayed := saml2flow.PathSSO + "?" + redirectQuery(t, authnRequest("id-signed-once", "", ""), relayState, e.sp.Key)
	e.browser().get(replayed).wantRedirect(t, login.PathLogin)
	checkStatus(t, e.readResponse(t, e.browser().get(replayed).autoPost(t), spACS), "id-signed-once", spACS, saml2.StatusRequester, saml2.StatusRequestDenied)
	// A signature by another key is no signature of the SP's.
	checkErrorPage(t, b.get(saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest("id-forged", "", ""), relayState, e.idp.Key)))
}

// checkStatus asserts a signed error Response for request id at acs.
func checkStatus(t *testing.T, a samlAnswer, id, acs, code, sub string) {
	t.Helper()
	if a.status != code || a.subStatus != sub || !a.responseSignedOK || a.assertionSignedByUs {
		t.Fatalf("status %q/%q (signed %v, assertion %v), want %q/%q\n%s", a.status, a.subStatus, a.responseSignedOK, a.assertionSignedByUs, code, sub, a.xml)
	}
	if a.destination != acs || a.inResponseTo != id || a.issuer != entityID {
		t.Errorf("Destination %q InResponseTo %q Issuer %q", a.destination, a.inResponseTo, a.issuer)
	}
}

// TestPassiveWithoutSession: IsPassive and no finished sign-in → a signed
// NoPassive Response to the ACS, with the RelayState, and no page.
func TestPassiveWithoutSession(t *testing.T) {
	e := newEnv(t, setup{})
	ap := e.browser().get(saml2flow.PathSSO + "?" + redirectQuery(t, authnRequest("id-passive", ` IsPassive="true"`, ""), relayState, nil)).autoPost(t)
	a := e.readResponse(t, ap, spACS)
	checkStatus(t, a, "id-passive", spACS, saml2.StatusResponder, saml2.StatusNoPassive)
	if a.relayState != relayState {
		t.Errorf("RelayState %q", a.relayState)
	}
}

// TestRequestedContextNotMet: a RequestedAuthnContext claimgate cannot
// satisfy (a smart card) ends, after the sign-in, in NoAuthnContext at the
// ACS rather than an assertion saying something else was done; a request
// for multipleauthn is asked for a second factor and gets exactly that.
func TestRequestedContextNotMet(t *testing.T) {
	e := newEnv(t, setup{})
	b := e.browser()
	rac := func(class string) string {
		return `<samlp:RequestedAuthnContext Comparison="exact"><saml:AuthnContextClassRef xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">` +
			class + `</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>`
	}
	b.get(saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest("id-smartcard", "", rac("urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard")), "", nil)).wantRedirect(t, login.PathLogin)
	checkStatus(t, e.readResponse(t, b.signIn(t).autoPost(t), spACS), "id-smartcard", spACS, saml2.StatusResponder, saml2.StatusNoAuthnContext)

	b = e.browser()
	e.clk.Advance(time.Minute) // a fresh TOTP step for the second sign-in
	b.get(saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest("id-mfa", "", rac(claims.MultipleAuthn)), "", nil)).wantRedirect(t, login.PathLogin)
	checkSignedIn(t, e.readResponse(t, b.signIn(t).autoPost(t), spACS), "id-mfa", spACS)
}

// TestSSOAcrossProtocols: a browser signed in through WS-Federation gets a
// SAML Response without a password, and a passive request then succeeds.
func TestSSOAcrossProtocols(t *testing.T) {
	e := newEnv(t, setup{})
	b := e.browser()
	b.get("/wsfed?"+url.Values{"wa": {"wsignin1.0"}, "wtrealm": {wsRealm}}.Encode()).wantRedirect(t, login.PathLogin)
	if ap := b.signIn(t).autoPost(t); ap.action != wsReply {
		t.Fatalf("WS-Fed token posted to %q", ap.action)
	}
	ap := b.get(saml2flow.PathSSO + "?" + redirectQuery(t, authnRequest("id-sso", "", ""), relayState, nil)).autoPost(t)
	checkSignedIn(t, e.readResponse(t, ap, spACS), "id-sso", spACS)
	ap = b.get(saml2flow.PathSSO + "?" + redirectQuery(t, authnRequest("id-sso-passive", ` IsPassive="true"`, ""), "", nil)).autoPost(t)
	checkSignedIn(t, e.readResponse(t, ap, spACS), "id-sso-passive", spACS)
	// ForceAuthn asks for the password again.
	b.get(saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest("id-force", ` ForceAuthn="true"`, ""), "", nil)).wantRedirect(t, login.PathLogin)
}

func logoutRequest(id string) string {
	return `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="` + id + `" Version="2.0" IssueInstant="` +
		t0.Format("2006-01-02T15:04:05.000Z") + `" Destination="` + sloURL + `">` +
		`<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">` + spID + `</Issuer>` +
		`<NameID xmlns="urn:oasis:names:tc:SAML:2.0:assertion" Format="` + saml2.NameIDUnspecified + `">alice@example.test</NameID>` +
		`</samlp:LogoutRequest>`
}

// TestSingleLogout: the SP's signed LogoutRequest ends the session and
// gets a signed LogoutResponse at its SLO endpoint; the next request needs
// a password again. An unsigned one changes nothing.
func TestSingleLogout(t *testing.T) {
	e := newEnv(t, setup{})
	b := e.browser()
	b.get(saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest("id-before", "", ""), "", nil)).wantRedirect(t, login.PathLogin)
	b.signIn(t).autoPost(t)

	checkErrorPage(t, b.get(saml2flow.PathSLO+"?"+redirectQuery(t, logoutRequest("id-logout-unsigned"), relayState, nil)))
	b.get(saml2flow.PathSSO + "?" + redirectQuery(t, authnRequest("id-still", "", ""), "", nil)).autoPost(t)

	ap := b.get(saml2flow.PathSLO + "?" + redirectQuery(t, logoutRequest("id-logout"), relayState, e.sp.Key)).autoPost(t)
	if ap.action != spACS || ap.fields.Get("RelayState") != relayState {
		t.Errorf("LogoutResponse posted to %q with RelayState %q", ap.action, ap.fields.Get("RelayState"))
	}
	raw, root := decodeMessage(t, ap)
	if root.Tag != "LogoutResponse" || root.SelectAttrValue("InResponseTo", "") != "id-logout" || !strings.Contains(string(raw), saml2.StatusSuccess) {
		t.Errorf("not a successful LogoutResponse to id-logout:\n%s", raw)
	}
	if out, ok := xmlsecVerify(t, e, raw, "--id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse"); !ok {
		t.Errorf("xmlsec1 refuses the LogoutResponse signature:\n%s", out)
	}
	if !strings.Contains(e.audit.String(), `"sign_out"`) {
		t.Errorf("audit lacks sign_out:\n%s", e.audit.String())
	}
	b.get(saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest("id-after", "", ""), "", nil)).wantRedirect(t, login.PathLogin)
}
