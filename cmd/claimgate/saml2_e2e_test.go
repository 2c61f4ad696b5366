package main

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
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
	t       *testing.T
	srv     *httptest.Server
	sso     string
	cert    *x509.Certificate
	certPEM string

	mu      sync.Mutex
	pending map[string]string // request ID → RelayState, until answered
	results []samlResult
}

type samlResult struct {
	err      error
	nameID   string
	classRef string
	attrs    map[string][]string
}

func newSAMLSP(t *testing.T, ssoURL string, cert *x509.Certificate, certPEM string) *samlSP {
	sp := &samlSP{t: t, sso: ssoURL, cert: cert, certPEM: certPEM, pending: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /start", sp.start)
	mux.HandleFunc("POST /adfs/ls/", sp.receive)
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
		`<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">` + spEntityID + `</Issuer>` +
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
	case aud == nil || aud.Text() != spEntityID:
		return fail("Audience is not %s", spEntityID)
	case cd == nil || cd.SelectAttrValue("Recipient", "") != sp.acs() || cd.SelectAttrValue("InResponseTo", "") != irt:
		return fail("SubjectConfirmationData Recipient/InResponseTo wrong")
	}
	if n := child(subj, saml2.NSAssertion, "NameID"); n != nil {
		res.nameID = n.Text()
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
