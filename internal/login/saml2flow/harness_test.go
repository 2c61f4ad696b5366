package saml2flow_test

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/factors"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/login/saml2flow"
	"github.com/claimgate/claimgate/internal/login/wsfedflow"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/server"
	"github.com/claimgate/claimgate/internal/store/sqlitestore"
	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/internal/userfile"
	"github.com/claimgate/claimgate/sts"
	"github.com/claimgate/claimgate/sts/saml2"
	"github.com/claimgate/claimgate/sts/wsfed"
	"github.com/claimgate/claimgate/sts/xmlsig"
	"github.com/claimgate/claimgate/templates"
)

// The test IdP (claimgate) and its SAML SP, an AD FS farm whose entity ID
// is also a WS-Fed relying party (single sign-on across the protocols).
const (
	entityID = "https://claimgate.example.test/"
	ssoURL   = "https://claimgate.example.test/saml2/sso"
	sloURL   = "https://claimgate.example.test/saml2/slo"
	spID     = "http://adfs.example.test/adfs/services/trust"
	spACS    = "https://adfs.example.test/adfs/ls/"
	spACSAlt = "https://adfs.example.test/adfs/ls/alt"
	// sp2 is a second SAML SP (Shibboleth-like), for single logout.
	sp2ID   = "https://shib.example.test/shibboleth"
	sp2ACS  = "https://shib.example.test/Shibboleth.sso/SAML2/POST"
	sp2SLO  = "https://shib.example.test/Shibboleth.sso/SLO/POST"
	wsRealm = "urn:wsfed:app"
	wsReply = "https://app.example.test/wsfed/"

	alicePassword = "correct horse battery staple"
	aliceTOTP     = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	aliceSID      = "S-1-5-21-1004336348-1177238915-682003330-1105"
	relayState    = "7a4e1c2b-0d7f-4b7e-9d1e-3c5e2f1a9b80"
)

var t0 = time.Now().UTC().Truncate(time.Minute)

// keys are made once per test binary: RSA key generation is slow.
var (
	idpKey = sync.OnceValues(func() (*certs.KeyPair, error) {
		return certs.Generate(certs.GenerateOptions{Now: func() time.Time { return t0 }})
	})
	spKey = sync.OnceValues(func() (*certs.KeyPair, error) {
		return certs.Generate(certs.GenerateOptions{Now: func() time.Time { return t0 }})
	})
	passwordHash = sync.OnceValues(func() (string, error) { return mfa.HashPassword(alicePassword, nil) })
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// setup varies one test's environment.
type setup struct {
	requireSigned bool            // saml2.want_authn_requests_signed
	sp            func(*saml2.SP) // adjusts the SP
	sp2           bool            // adds the second SP (sp2ID)
}

// env is the sign-in flow with both protocol adapters, wired from real
// parts: the users-file directory, the SQLite store (sessions and the used
// request IDs), the real second-factor verifier, the SAML IdP and the
// WS-Fed issuer, behind server.New.
type env struct {
	t     testing.TB
	clk   *clock
	srv   *httptest.Server
	idp   *certs.KeyPair
	sp    *certs.KeyPair
	audit *testutil.SyncBuffer
	log   *testutil.SyncBuffer
}

func newEnv(t testing.TB, s setup) *env {
	t.Helper()
	key, err := idpKey()
	if err != nil {
		t.Fatal(err)
	}
	spk, err := spKey()
	if err != nil {
		t.Fatal(err)
	}
	hash, err := passwordHash()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, clk: &clock{t: t0}, idp: key, sp: spk, audit: &testutil.SyncBuffer{}, log: &testutil.SyncBuffer{}}
	db, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), sqlitestore.FileName),
		sqlitestore.Options{Now: e.clk.Now, Key: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	users, err := userfile.New(&userfile.File{Domain: "EXAMPLE", Users: []userfile.User{
		{Username: "alice", UPN: "alice@example.test", Email: "alice@mail.example.test", SID: aliceSID,
			GroupSIDs: []string{"S-1-5-32-545"}, PasswordHash: hash, TOTPSecret: aliceTOTP},
	}})
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := factors.NewVerifier(factors.Options{Store: db, File: users})
	if err != nil {
		t.Fatal(err)
	}
	sp := saml2.SP{
		EntityID: spID,
		ACS: []saml2.Endpoint{
			{Binding: saml2.BindingPOST, Location: spACS, Index: 0, IsDefault: true},
			{Binding: saml2.BindingPOST, Location: spACSAlt, Index: 1},
		},
		SLO:          []saml2.Endpoint{{Binding: saml2.BindingPOST, Location: spACS}},
		SigningCerts: []*x509.Certificate{spk.Certificate},
	}
	if s.sp != nil {
		s.sp(&sp)
	}
	idp, err := saml2.NewIdP(saml2.IdPConfig{EntityID: entityID, Signer: key.Key, Certificate: key.Certificate, Now: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sps := saml2.SPList{sp}
	if s.sp2 {
		sps = append(sps, saml2.SP{EntityID: sp2ID, ACS: []saml2.Endpoint{{Binding: saml2.BindingPOST, Location: sp2ACS, IsDefault: true}},
			SLO: []saml2.Endpoint{{Binding: saml2.BindingPOST, Location: sp2SLO}}, SigningCerts: []*x509.Certificate{spk.Certificate}})
	}
	sa, err := saml2flow.New(saml2flow.Options{SPs: sps, IdP: idp, SSOURL: ssoURL, SLOURL: sloURL,
		RequireSignedRequests: s.requireSigned, Replay: db, Now: e.clk.Now, Logger: logger, RequestID: server.RequestID})
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := sts.NewIssuer(sts.IssuerConfig{EntityID: entityID, Signer: key.Key, Certificate: key.Certificate, Now: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := wsfedflow.New(wsfedflow.Options{Parties: wsfed.PartyList{{Identifier: wsRealm, ReplyURL: wsReply}}, Issuer: issuer, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := templates.New(templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	flow, err := login.New(login.Options{
		Protocols: []login.Protocol{ws, sa}, Directory: users, Sessions: db, SecondFactor: verifier,
		Auditor: &factors.Auditor{Log: audit.New(audit.Options{Writer: e.audit, Now: e.clk.Now}), Logger: logger},
		Pages:   pages, Logger: logger, RequireSecondFactor: true, ClientAddr: server.ClientAddr, RequestID: server.RequestID, Now: e.clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := server.New(server.Options{Flow: flow, Pages: pages, Metadata: func() []byte { return []byte("<EntityDescriptor/>") },
		ReplyURLs: []string{wsReply}, Logger: logger, Now: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

// code is alice's TOTP code at the test clock, from oathtool.
func (e *env) code() string {
	e.t.Helper()
	return testutil.OATHTool(e.t, "--totp", "-b", aliceTOTP, "--now", "@"+strconv.FormatInt(e.clk.Now().Unix(), 10))
}

// browser keeps cookies and follows no redirects.
type browser struct {
	e *env
	c *http.Client
}

type page struct {
	status int
	header http.Header
	body   string
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &browser{e: e, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values) *page {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.srv.URL+path, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return &page{status: res.StatusCode, header: res.Header, body: string(got)}
}

func (b *browser) get(path string) *page { return b.do(http.MethodGet, path, nil) }

func (b *browser) post(path string, f url.Values) *page { return b.do(http.MethodPost, path, f) }

func (p *page) want(t testing.TB, status int) *page {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d\n%s", p.status, status, p.body)
	}
	return p
}

func (p *page) wantRedirect(t testing.TB, to string) {
	t.Helper()
	p.want(t, http.StatusSeeOther)
	if l := p.header.Get("Location"); l != to {
		t.Fatalf("Location %q, want %q", l, to)
	}
}

var (
	csrfRE   = regexp.MustCompile(`name="csrf" value="([^"]*)"`)
	actionRE = regexp.MustCompile(`<form id="autopost" method="post" action="([^"]*)">`)
	fieldRE  = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

func (p *page) csrf(t testing.TB) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no csrf field in\n%s", p.body)
	}
	return html.UnescapeString(m[1])
}

// autoPost is the form the auto-POST page posts at once.
type autoPost struct {
	action string
	fields url.Values
	names  []string
}

func (p *page) autoPost(t testing.TB) autoPost {
	t.Helper()
	p.want(t, http.StatusOK)
	m := actionRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("not the auto-POST page:\n%s", p.body)
	}
	a := autoPost{action: html.UnescapeString(m[1]), fields: url.Values{}}
	for _, f := range fieldRE.FindAllStringSubmatch(p.body, -1) {
		n := html.UnescapeString(f[1])
		a.names = append(a.names, n)
		a.fields.Add(n, html.UnescapeString(f[2]))
	}
	return a
}

// signIn walks the password and code pages after a request that sent the
// browser to /login, and returns the auto-POST page.
func (b *browser) signIn(t testing.TB) *page {
	t.Helper()
	lp := b.get(login.PathLogin).want(t, http.StatusOK)
	b.post(login.PathLogin, url.Values{"csrf": {lp.csrf(t)}, "username": {"alice"}, "password": {alicePassword}}).wantRedirect(t, login.PathCode)
	cp := b.get(login.PathCode).want(t, http.StatusOK)
	return b.post(login.PathCode, url.Values{"csrf": {cp.csrf(t)}, "code": {b.e.code()}})
}

// authnRequest is AD FS's AuthnRequest (protocol notes §4) with extra
// attributes and children.
func authnRequest(id, attrs, children string) string {
	return `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="` + id + `" Version="2.0" IssueInstant="` +
		t0.Format("2006-01-02T15:04:05.000Z") + `" Destination="` + ssoURL + `" Consent="urn:oasis:names:tc:SAML:2.0:consent:unspecified"` + attrs + `>` +
		`<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">` + spID + `</Issuer>` +
		`<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified" AllowCreate="true"/>` + children +
		`</samlp:AuthnRequest>`
}

// redirectQuery encodes xml for HTTP-Redirect, signed with key when set.
func redirectQuery(t testing.TB, xml, relay string, key crypto.Signer) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(xml)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	q := "SAMLRequest=" + url.QueryEscape(base64.StdEncoding.EncodeToString(buf.Bytes()))
	if relay != "" {
		q += "&RelayState=" + url.QueryEscape(relay)
	}
	if key == nil {
		return q
	}
	q += "&SigAlg=" + url.QueryEscape(xmlsig.SigRSASHA256)
	d := sha256.Sum256([]byte(q))
	sig, err := key.Sign(nil, d[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return q + "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig))
}

// postForm encodes xml for HTTP-POST, with an enveloped signature after
// Issuer when key is set.
func postForm(t testing.TB, xml, relay string, key *certs.KeyPair, tag string) url.Values {
	t.Helper()
	b := []byte(xml)
	if key != nil {
		el, err := xmlsig.ReadUntrusted(b, 0)
		if err != nil {
			t.Fatal(err)
		}
		s, err := xmlsig.NewSigner(key.Key, key.Certificate, xmlsig.Layout{Name: tag, IDAttr: "ID", Place: xmlsig.PlaceAfter,
			AfterNS: saml2.NSAssertion, AfterTag: "Issuer"})
		if err != nil {
			t.Fatal(err)
		}
		if b, err = s.Sign(el, ""); err != nil {
			t.Fatal(err)
		}
	}
	f := url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(b)}}
	if relay != "" {
		f.Set("RelayState", relay)
	}
	return f
}

// certPEM writes the IdP's certificate for xmlsec1.
func (e *env) certPEM(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "idp.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.idp.Certificate.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
