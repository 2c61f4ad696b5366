package main

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/chromedp/chromedp"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/sts/saml2"
	"github.com/claimgate/claimgate/sts/xmlsafe"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// spEntityID is the test SP's entity ID, shaped like AD FS's identifier.
const spEntityID = "http://adfs.saml.e2e.example/adfs/services/trust"

// samlSP plays AD FS with a SAML 2.0 claims provider trust on its own
// loopback server: /start sends the browser to claimgate with AD FS's
// unsigned HTTP-Redirect AuthnRequest and a fresh RelayState, /adfs/ls/
// receives the POSTed Response and checks it as AD FS does: the assertion
// signed by the trusted certificate (xmlsig, and xmlsec1 independently),
// Audience = its entity ID, InResponseTo = a request it sent (once),
// Recipient and Destination = its ACS, RelayState echoed.
type samlSP struct {
	t        *testing.T
	srv      *httptest.Server
	entityID string
	sso      string
	cert     *x509.Certificate
	certPEM  string
	logout   *spLogout // single logout, when enabled

	mu      sync.Mutex
	pending map[string]string // request ID → RelayState, until answered
	results []samlResult
}

type samlResult struct {
	err          error
	sessionIndex string
	nameID       string
	classRef     string
	attrs        map[string][]string
}

func newSAMLSP(t *testing.T, ssoURL string, cert *x509.Certificate, certPEM string) *samlSP {
	return newSAMLSPAs(t, spEntityID, ssoURL, cert, certPEM, nil)
}

// newSAMLSPAs is newSAMLSP with its own entity ID and, when logout is set,
// a single logout service at /slo.
func newSAMLSPAs(t *testing.T, entityID, ssoURL string, cert *x509.Certificate, certPEM string, logout *spLogout) *samlSP {
	sp := &samlSP{t: t, entityID: entityID, sso: ssoURL, cert: cert, certPEM: certPEM, logout: logout, pending: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /start", sp.start)
	mux.HandleFunc("POST /adfs/ls/", sp.receive)
	if logout != nil {
		mux.HandleFunc("GET /logout", sp.startLogout)
		mux.HandleFunc("POST /slo", sp.receiveLogout)
	}
	sp.srv = httptest.NewServer(mux)
	t.Cleanup(sp.srv.Close)
	return sp
}

func (sp *samlSP) acs() string      { return sp.srv.URL + "/adfs/ls/" }
func (sp *samlSP) startURL() string { return sp.srv.URL + "/start" }

func (sp *samlSP) start(w http.ResponseWriter, r *http.Request) {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id, relay := "id-"+hex.EncodeToString(b[:8]), hex.EncodeToString(b[8:])
	xml := `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="` + id + `" Version="2.0" IssueInstant="` +
		time.Now().UTC().Format("2006-01-02T15:04:05.000Z") + `" Destination="` + sp.sso + `" Consent="urn:oasis:names:tc:SAML:2.0:consent:unspecified">` +
		`<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">` + sp.entityID + `</Issuer>` +
		`<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified" AllowCreate="true"/></samlp:AuthnRequest>`
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	_, _ = fw.Write([]byte(xml))
	_ = fw.Close()
	sp.mu.Lock()
	sp.pending[id] = relay
	sp.mu.Unlock()
	http.Redirect(w, r, sp.sso+"?SAMLRequest="+url.QueryEscape(base64.StdEncoding.EncodeToString(buf.Bytes()))+"&RelayState="+relay, http.StatusFound)
}

func (sp *samlSP) receive(w http.ResponseWriter, r *http.Request) {
	res := sp.check(r.PostFormValue("SAMLResponse"), r.PostFormValue("RelayState"))
	sp.mu.Lock()
	sp.results = append(sp.results, res)
	sp.mu.Unlock()
	verdict := "valid"
	if res.err != nil {
		w.WriteHeader(http.StatusForbidden)
		verdict = "rejected: " + res.err.Error()
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(`<!doctype html><title>service provider</title><p id="verdict">` + html.EscapeString(verdict) + `</p>`))
}

// check verifies one posted Response; values are read from the signed
// assertion only.
func (sp *samlSP) check(encoded, relay string) samlResult {
	res := samlResult{attrs: map[string][]string{}}
	fail := func(format string, args ...any) samlResult { res.err = fmt.Errorf(format, args...); return res }
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return fail("SAMLResponse is not base64")
	}
	root, err := xmlsig.ReadUntrusted(raw, 0)
	if err != nil || !xmlsafe.Is(root, saml2.NSProtocol, "Response") {
		return fail("not a samlp:Response: %v", err)
	}
	irt := root.SelectAttrValue("InResponseTo", "")
	sp.mu.Lock()
	wantRelay, known := sp.pending[irt]
	delete(sp.pending, irt)
	sp.mu.Unlock()
	st := child(child(root, saml2.NSProtocol, "Status"), saml2.NSProtocol, "StatusCode")
	switch {
	case !known:
		return fail("InResponseTo %q names no request of this SP, or was answered before", irt)
	case relay != wantRelay:
		return fail("RelayState %q, sent %q", relay, wantRelay)
	case root.SelectAttrValue("Destination", "") != sp.acs():
		return fail("Destination %q", root.SelectAttrValue("Destination", ""))
	case st == nil || st.SelectAttrValue("Value", "") != saml2.StatusSuccess:
		return fail("status is not Success")
	}
	as := child(root, saml2.NSAssertion, "Assertion")
	if as == nil {
		return fail("no assertion")
	}
	as, err = xmlsafe.Detach(as)
	if err != nil {
		return fail("%v", err)
	}
	v, err := xmlsig.Verify(as, xmlsig.Layout{Name: "assertion", IDAttr: "ID", Place: xmlsig.PlaceAfter, AfterNS: saml2.NSAssertion, AfterTag: "Issuer"},
		xmlsig.Trust{Certs: []*x509.Certificate{sp.cert}})
	if err != nil {
		return fail("assertion signature: %v", err)
	}
	if out, ok := testutil.XMLSecVerify(sp.t, raw, "--id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion "+
		"--node-xpath /*/*[local-name()='Assertion']/*[local-name()='Signature']", sp.certPEM); !ok {
		return fail("xmlsec1 refuses the assertion signature: %s", out)
	}
	a := v.Element
	subj := child(a, saml2.NSAssertion, "Subject")
	cd := child(child(subj, saml2.NSAssertion, "SubjectConfirmation"), saml2.NSAssertion, "SubjectConfirmationData")
	aud := child(child(child(a, saml2.NSAssertion, "Conditions"), saml2.NSAssertion, "AudienceRestriction"), saml2.NSAssertion, "Audience")
	switch {
	case aud == nil || aud.Text() != sp.entityID:
		return fail("Audience is not %s", sp.entityID)
	case cd == nil || cd.SelectAttrValue("Recipient", "") != sp.acs() || cd.SelectAttrValue("InResponseTo", "") != irt:
		return fail("SubjectConfirmationData Recipient/InResponseTo wrong")
	}
	if n := child(subj, saml2.NSAssertion, "NameID"); n != nil {
		res.nameID = n.Text()
	}
	if an := child(a, saml2.NSAssertion, "AuthnStatement"); an != nil {
		res.sessionIndex = an.SelectAttrValue("SessionIndex", "")
	}
	if c := child(child(child(a, saml2.NSAssertion, "AuthnStatement"), saml2.NSAssertion, "AuthnContext"), saml2.NSAssertion, "AuthnContextClassRef"); c != nil {
		res.classRef = c.Text()
	}
	if stmt := child(a, saml2.NSAssertion, "AttributeStatement"); stmt != nil {
		for _, at := range xmlsafe.Children(stmt, saml2.NSAssertion, "Attribute") {
			for _, val := range xmlsafe.Children(at, saml2.NSAssertion, "AttributeValue") {
				res.attrs[at.SelectAttrValue("Name", "")] = append(res.attrs[at.SelectAttrValue("Name", "")], val.Text())
			}
		}
	}
	return res
}

func child(el *etree.Element, ns, tag string) *etree.Element {
	if el == nil {
		return nil
	}
	return xmlsafe.Child(el, ns, tag)
}

func (sp *samlSP) count() int {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return len(sp.results)
}

func (sp *samlSP) last(t *testing.T) samlResult {
	t.Helper()
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if len(sp.results) == 0 {
		t.Fatal("no Response reached the service provider")
	}
	r := sp.results[len(sp.results)-1]
	if r.err != nil {
		t.Fatalf("service provider refused the Response: %v", r.err)
	}
	return r
}

// arrives waits for the auto-POST to reach the SP and returns what it
// accepted.
func (s *session) samlArrives(sp *samlSP, before int) samlResult {
	s.t.Helper()
	s.do("service provider page", chromedp.WaitVisible(chromedp.CSS("#verdict")))
	if v := s.text("#verdict"); v != "valid" {
		s.fail("service provider verdict %q", v)
	}
	if n := sp.count(); n != before+1 {
		s.fail("service provider received %d POSTs, want %d", n, before+1)
	}
	return sp.last(s.t)
}

// TestSAML2BrowserSignIn: real Chromium, `claimgate serve` over the Samba
// AD, and a SAML service provider playing AD FS (-ProtocolProfile SAML):
// its unsigned Redirect AuthnRequest leads to the password page, the AD
// password and a TOTP code (enrolled on the way, alice has none) end in a
// signed Response at its ACS carrying alice's real SIDs, her UPN and
// multipleauthn. A second request from the same browser is answered
// without a password (single sign-on).
func TestSAML2BrowserSignIn(t *testing.T) {
	ad := samba(t)
	fx := newFixture(t)
	for k, v := range ad {
		fx.env[k] = v
	}
	sp := newSAMLSP(t, fx.base+"/saml2/sso", fx.cert, filepath.Join(fx.dir, "signing.crt"))
	fx.writeConfig(t, serveConfig{directory: ad.ldapYAML(ad["CLAIMGATE_TEST_LDAP_URL"]),
		mfa: "enrolment: {self_enrolment: true, allowed_networks: [127.0.0.0/8]}",
		extra: `saml2:
  enabled: true
  service_providers:
    - name: e2e SAML AD FS
      entity_id: ` + spEntityID + `
      acs_url: ` + sp.acs() + `
`})
	startServe(t, fx)
	resp, err := http.Get(fx.base + "/FederationMetadata/2007-06/FederationMetadata.xml")
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	_, _ = md.ReadFrom(resp.Body)
	resp.Body.Close()
	if !strings.Contains(md.String(), `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="`+fx.base+`/saml2/sso">`) {
		t.Fatalf("metadata lacks the SAML 2.0 SSO endpoint:\n%s", md.String())
	}

	browser := testutil.Browser(t)
	aliceSID := ad.sid(t, "user", "alice")
	s := newSession(t, browser)
	if st := s.load("open the service provider", chromedp.Navigate(sp.startURL())); st != 200 {
		s.fail("sign-in start answered %d", st)
	}
	s.do("password page", chromedp.WaitVisible(chromedp.CSS("#username")))
	if st := s.password("alice", ad["CLAIMGATE_TEST_LDAP_USER_PASSWORD"]); st != 200 || s.heading() != titleEnrol {
		s.fail("after the AD password: status %d, page %q", st, s.heading())
	}
	secret := strings.ReplaceAll(s.text("#secret"), " ", "")
	before := sp.count()
	s.code(testutil.TOTP(t, secret))
	got := s.samlArrives(sp, before)
	if got.nameID != "alice@example.test" || got.classRef != claims.MultipleAuthn {
		t.Errorf("NameID %q, AuthnContextClassRef %q", got.nameID, got.classRef)
	}
	for typ, want := range map[string][]string{claims.PrimarySID: {aliceSID}, claims.UPN: {"alice@example.test"}} {
		if !slices.Equal(got.attrs[typ], want) {
			t.Errorf("%s = %v, want %v", typ, got.attrs[typ], want)
		}
	}
	if !slices.Contains(got.attrs[claims.AuthnMethodsReferences], claims.MultipleAuthn) {
		t.Errorf("authnmethodsreferences %v", got.attrs[claims.AuthnMethodsReferences])
	}

	before = sp.count()
	s.load("single sign-on", chromedp.Navigate(sp.startURL()))
	if got := s.samlArrives(sp, before); !slices.Equal(got.attrs[claims.PrimarySID], []string{aliceSID}) {
		t.Errorf("single sign-on: primarysid %v", got.attrs[claims.PrimarySID])
	}
}

// spLogout is a test SP's single logout: its signing key (its
// LogoutRequests are signed, as claimgate requires), claimgate's SLO URL,
// and what reached its /slo.
type spLogout struct {
	key *rsa.PrivateKey
	slo string // claimgate's /saml2/slo

	sentID    string          // the ID of the LogoutRequest /logout sent
	requests  []logoutMessage // LogoutRequests claimgate sent here
	responses []logoutMessage // LogoutResponses claimgate sent here
}

// logoutMessage is what the SP read from one message claimgate posted to
// /slo, after checking its signature (xmlsig and xmlsec1) against
// claimgate's certificate; values come from the signed element.
type logoutMessage struct {
	err                               error
	destination, inResponseTo, status string
	nameID, sessionIndex              string
	notOnOrAfter                      time.Time
}

// startLogout sends the browser to claimgate with the SP's signed
// HTTP-Redirect LogoutRequest for the subject and SessionIndex of the last
// Response it accepted.
func (sp *samlSP) startLogout(w http.ResponseWriter, r *http.Request) {
	last := sp.last(sp.t)
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	id := "id-logout-" + hex.EncodeToString(b)
	xml := `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="` + id + `" Version="2.0" IssueInstant="` +
		time.Now().UTC().Format("2006-01-02T15:04:05.000Z") + `" Destination="` + sp.logout.slo + `">` +
		`<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">` + sp.entityID + `</Issuer>` +
		`<NameID xmlns="urn:oasis:names:tc:SAML:2.0:assertion" Format="` + saml2.NameIDUnspecified + `">` + last.nameID + `</NameID>` +
		`<samlp:SessionIndex>` + last.sessionIndex + `</samlp:SessionIndex></samlp:LogoutRequest>`
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	_, _ = fw.Write([]byte(xml))
	_ = fw.Close()
	q := "SAMLRequest=" + url.QueryEscape(base64.StdEncoding.EncodeToString(buf.Bytes())) + "&SigAlg=" + url.QueryEscape(xmlsig.SigRSASHA256)
	d := sha256.Sum256([]byte(q))
	sig, err := rsa.SignPKCS1v15(nil, sp.logout.key, crypto.SHA256, d[:])
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	sp.mu.Lock()
	sp.logout.sentID = id
	sp.mu.Unlock()
	http.Redirect(w, r, sp.logout.slo+"?"+q+"&Signature="+url.QueryEscape(base64.StdEncoding.EncodeToString(sig)), http.StatusFound)
}

// receiveLogout records a LogoutRequest (claimgate telling this SP, in a
// frame of its "signing out" page) or a LogoutResponse (claimgate's
// answer to this SP's own request).
func (sp *samlSP) receiveLogout(w http.ResponseWriter, r *http.Request) {
	param, tag := "SAMLRequest", "LogoutRequest"
	if r.PostFormValue("SAMLResponse") != "" {
		param, tag = "SAMLResponse", "LogoutResponse"
	}
	m := sp.readLogout(r.PostFormValue(param), tag)
	sp.mu.Lock()
	if tag == "LogoutRequest" {
		sp.logout.requests = append(sp.logout.requests, m)
	} else {
		sp.logout.responses = append(sp.logout.responses, m)
	}
	sp.mu.Unlock()
	verdict := "logged out"
	if m.err != nil {
		verdict = "rejected: " + m.err.Error()
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(`<!doctype html><title>service provider</title><p id="verdict">` + html.EscapeString(verdict) + `</p>`))
}

func (sp *samlSP) readLogout(encoded, tag string) logoutMessage {
	var m logoutMessage
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		m.err = fmt.Errorf("%s is not base64", tag)
		return m
	}
	root, err := xmlsig.ReadUntrusted(raw, 0)
	if err != nil || !xmlsafe.Is(root, saml2.NSProtocol, tag) {
		m.err = fmt.Errorf("not a samlp:%s: %v", tag, err)
		return m
	}
	v, err := xmlsig.Verify(root, xmlsig.Layout{Name: tag, IDAttr: "ID", Place: xmlsig.PlaceAfter, AfterNS: saml2.NSAssertion, AfterTag: "Issuer"},
		xmlsig.Trust{Certs: []*x509.Certificate{sp.cert}})
	if err != nil {
		m.err = fmt.Errorf("%s signature: %v", tag, err)
		return m
	}
	if out, ok := testutil.XMLSecVerify(sp.t, raw, "--id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:"+tag, sp.certPEM); !ok {
		m.err = fmt.Errorf("xmlsec1 refuses the %s: %s", tag, out)
		return m
	}
	el := v.Element
	m.destination, m.inResponseTo = el.SelectAttrValue("Destination", ""), el.SelectAttrValue("InResponseTo", "")
	if sc := child(child(el, saml2.NSProtocol, "Status"), saml2.NSProtocol, "StatusCode"); sc != nil {
		m.status = sc.SelectAttrValue("Value", "")
	}
	if n := child(el, saml2.NSAssertion, "NameID"); n != nil {
		m.nameID = n.Text()
	}
	if si := child(el, saml2.NSProtocol, "SessionIndex"); si != nil {
		m.sessionIndex = si.Text()
	}
	m.notOnOrAfter, _ = time.Parse(time.RFC3339Nano, el.SelectAttrValue("NotOnOrAfter", ""))
	return m
}

// logoutState is a copy of what reached the SP's /slo.
func (sp *samlSP) logoutState() (sent string, requests, responses []logoutMessage) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.logout.sentID, slices.Clone(sp.logout.requests), slices.Clone(sp.logout.responses)
}

// TestSAML2BrowserSingleLogout: real Chromium signs in to two SAML SPs
// (the second by single sign-on), then SP 1's signed LogoutRequest ends
// the claimgate session: SP 2 receives, in a frame of the "signing out"
// page, a LogoutRequest signed by claimgate naming the NameID and
// SessionIndex it was issued, SP 1 then receives a signed Success
// LogoutResponse to its request, and a new AuthnRequest shows the password
// page again.
func TestSAML2BrowserSingleLogout(t *testing.T) {
	alice := e2eUser{Name: "alice", Password: newPassword(t), TOTP: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}
	fx := newFixture(t, alice)
	certPEM := filepath.Join(fx.dir, "signing.crt")
	spKey, err := certs.Generate(certs.GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spCert := filepath.Join(fx.dir, "sp.crt")
	if err := certs.WritePEM(spKey, spCert, filepath.Join(fx.dir, "sp.key"), false); err != nil {
		t.Fatal(err)
	}
	key, ok := spKey.Key.(*rsa.PrivateKey)
	if !ok {
		t.Fatalf("SP key is %T", spKey.Key)
	}
	sp1 := newSAMLSPAs(t, "https://sp1.e2e.example/sp", fx.base+"/saml2/sso", fx.cert, certPEM, &spLogout{key: key, slo: fx.base + "/saml2/slo"})
	sp2 := newSAMLSPAs(t, "https://sp2.e2e.example/sp", fx.base+"/saml2/sso", fx.cert, certPEM, &spLogout{key: key, slo: fx.base + "/saml2/slo"})
	sps := ""
	for i, sp := range []*samlSP{sp1, sp2} {
		sps += fmt.Sprintf("    - name: e2e SP %d\n      entity_id: %s\n      acs_url: %s\n      slo_url: %s\n      signing_cert: %s\n",
			i+1, sp.entityID, sp.acs(), sp.srv.URL+"/slo", spCert)
	}
	fx.writeConfig(t, serveConfig{extra: "saml2:\n  enabled: true\n  service_providers:\n" + sps})
	startServe(t, fx)

	s := newSession(t, testutil.Browser(t))
	s.load("open SP 1", chromedp.Navigate(sp1.startURL()))
	if st := s.password("alice", alice.Password); st != 200 {
		s.fail("after the password: status %d", st)
	}
	s.code(testutil.TOTP(t, alice.TOTP))
	got1 := s.samlArrives(sp1, 0)
	s.load("open SP 2", chromedp.Navigate(sp2.startURL()))
	got2 := s.samlArrives(sp2, 0)
	if got1.sessionIndex == "" || got2.sessionIndex == "" || got1.sessionIndex == got2.sessionIndex || got1.nameID != "alice@e2e.example" {
		t.Fatalf("SessionIndexes %q %q, NameID %q", got1.sessionIndex, got2.sessionIndex, got1.nameID)
	}

	s.load("SP 1 signs out", chromedp.Navigate(sp1.srv.URL+"/logout"))
	// The "signing out" page posts to SP 2 in a frame, then the
	// LogoutResponse to SP 1 once the frame has loaded.
	s.do("SP 1's logout page", chromedp.WaitVisible(chromedp.CSS("#verdict")))
	if v := s.text("#verdict"); v != "logged out" {
		s.fail("SP 1 verdict %q", v)
	}
	sent, reqs1, resps1 := sp1.logoutState()
	_, reqs2, resps2 := sp2.logoutState()
	if len(reqs1) != 0 || len(resps2) != 0 {
		t.Errorf("SP 1 got %d LogoutRequests, SP 2 %d LogoutResponses; want none", len(reqs1), len(resps2))
	}
	if len(reqs2) != 1 {
		t.Fatalf("SP 2 received %d LogoutRequests, want 1", len(reqs2))
	}
	if r := reqs2[0]; r.err != nil || r.destination != sp2.srv.URL+"/slo" || r.nameID != got2.nameID || r.sessionIndex != got2.sessionIndex ||
		!r.notOnOrAfter.After(time.Now()) {
		t.Errorf("SP 2's LogoutRequest: %+v (issued %q, %q)", r, got2.nameID, got2.sessionIndex)
	}
	if len(resps1) != 1 {
		t.Fatalf("SP 1 received %d LogoutResponses, want 1", len(resps1))
	}
	if r := resps1[0]; r.err != nil || r.status != saml2.StatusSuccess || r.inResponseTo != sent || r.destination != sp1.srv.URL+"/slo" {
		t.Errorf("SP 1's LogoutResponse: %+v (sent %s)", r, sent)
	}

	s.load("SP 1 again", chromedp.Navigate(sp1.startURL()))
	s.do("password page after single logout", chromedp.WaitVisible(chromedp.CSS("#username")))
}
