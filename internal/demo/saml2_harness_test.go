package demo_test

import (
	"bytes"
	"compress/flate"
	"crypto/x509"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/demo"
	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/sts/saml2"
	"github.com/claimgate/claimgate/templates"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// The demo SP as claimgate knows it, and claimgate as the SP knows it.
// The SP compares these strings, not the address a test server listens
// on, so fixed values work.
const (
	idpEntity = "https://claimgate.example.test/"
	ssoURL    = "https://claimgate.example.test/saml2/sso"
	sloURL    = "https://claimgate.example.test/saml2/slo"
	spBase    = "http://127.0.0.1:8080"
	spEntity  = spBase + demo.SAML2EntityPath
	spACS     = spBase + demo.SAML2ACSPath
	spSLO     = spBase + demo.SAML2SLOPath
)

// spKey is the demo SP's request-signing key, made once.
var spKey = sync.OnceValues(func() (*certs.KeyPair, error) { return certs.Generate(certs.GenerateOptions{}) })

// samlRP is the demo mounted at /demo with its SAML 2.0 SP, plus the
// claimgate side of the exchange built from sts/saml2: its request
// parser and its IdP.
type samlRP struct {
	*rp
	sp    saml2.SP
	spKey *certs.KeyPair
	now   time.Time
}

// newSAMLRP mounts the demo with opts changed by mut (Rand, Now).
func newSAMLRP(t *testing.T, mut ...func(*demo.Options)) *samlRP {
	t.Helper()
	k, err := keys()
	if err != nil {
		t.Fatal(err)
	}
	sk, err := spKey()
	if err != nil {
		t.Fatal(err)
	}
	pages, err := templates.New(templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	o := demo.Options{Realm: demoRealm, WSFedURL: wsfedURL, Trusted: []*x509.Certificate{k[0].Certificate}, Pages: pages,
		Now: func() time.Time { return now },
		SAML2: &demo.SAML2{IdPEntityID: idpEntity, IdPSSOURL: ssoURL, IdPSLOURL: sloURL,
			EntityID: spEntity, ACSURL: spACS, SLOURL: spSLO, SigningKey: sk.Key}}
	for _, m := range mut {
		m(&o)
	}
	r := chi.NewRouter()
	r.Mount("/demo", demo.Handler(o))
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	sp := saml2.SP{EntityID: spEntity, InsecureHTTP: true,
		ACS:          []saml2.Endpoint{{Binding: saml2.BindingPOST, Location: spACS, IsDefault: true}},
		SLO:          []saml2.Endpoint{{Binding: saml2.BindingPOST, Location: spSLO}},
		SigningCerts: []*x509.Certificate{sk.Certificate}}
	if err := sp.Validate(); err != nil {
		t.Fatal(err)
	}
	return &samlRP{rp: &rp{t: t, srv: srv, trusted: k[0], other: k[1], pages: pages}, sp: sp, spKey: sk, now: now}
}

func (p *samlRP) parseOpts(endpoint string) saml2.ParseOptions {
	return saml2.ParseOptions{Endpoint: endpoint, Now: func() time.Time { return p.now }}
}

// redirect GETs path and returns where the demo sent the browser.
func (p *samlRP) redirect(c *http.Client, path, to string) *url.URL {
	t := p.t
	t.Helper()
	res, err := c.Get(p.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), to+"?") {
		t.Fatalf("%s: %d %q", path, res.StatusCode, res.Header.Get("Location"))
	}
	for _, ck := range res.Cookies() {
		if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/demo/" {
			t.Fatalf("cookie %+v", ck)
		}
	}
	return loc
}

// begin starts a SAML sign-in and returns the AuthnRequest as claimgate's
// own parser reads it: the demo's request must be one claimgate accepts.
func (p *samlRP) begin(c *http.Client) *saml2.AuthnRequest {
	p.t.Helper()
	loc := p.redirect(c, "/demo/saml2/begin", ssoURL)
	req, err := saml2.ParseRedirect(loc.RawQuery, saml2.SPList{p.sp}, p.parseOpts(ssoURL))
	if err != nil {
		p.t.Fatalf("claimgate refuses the demo's AuthnRequest: %v", err)
	}
	if req.ACS.Location != spACS || req.RelayState == "" || req.Signed {
		p.t.Fatalf("AuthnRequest: ACS %q, RelayState %q, signed %v", req.ACS.Location, req.RelayState, req.Signed)
	}
	return req
}

// idp is claimgate's SAML IdP signing with key at the instant at.
func (p *samlRP) idp(key *certs.KeyPair, entityID string, at time.Time) *saml2.IdP {
	p.t.Helper()
	n := 0
	idp, err := saml2.NewIdP(saml2.IdPConfig{EntityID: entityID, Signer: key.Key, Certificate: key.Certificate,
		Now: func() time.Time { return at }, NewID: func() string { n++; return fmt.Sprintf("_id%d", n) }})
	if err != nil {
		p.t.Fatal(err)
	}
	return idp
}

// respond is claimgate's Response to req for alice, after two factors.
func (p *samlRP) respond(idp *saml2.IdP, req *saml2.AuthnRequest) *saml2.Response {
	p.t.Helper()
	resp, err := idp.Respond(saml2.ResponseInput{Request: req, Subject: saml2.Subject{NameID: "alice@example.test"},
		Claims: []claims.Claim{{Type: claims.UPN, Values: []string{"alice@example.test"}},
			{Type: claims.GroupSID, Values: []string{"S-1-5-21-1-2-3-513", "S-1-5-32-545"}}},
		Authn: saml2.Authn{SecondFactor: true, Instant: p.now.Add(-time.Minute)}})
	if err != nil {
		p.t.Fatal(err)
	}
	return resp
}

// post POSTs SAMLResponse (base64 of doc) and RelayState to path.
func (p *samlRP) post(c *http.Client, path string, doc []byte, relay string) (int, string) {
	p.t.Helper()
	f := url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(doc)}}
	if relay != "" {
		f.Set("RelayState", relay)
	}
	return p.postForm(c, path, f.Encode())
}

func (p *samlRP) postForm(c *http.Client, path, body string) (int, string) {
	t := p.t
	t.Helper()
	res, err := c.Post(p.srv.URL+path, "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// inflate returns the XML of an HTTP-Redirect message parameter.
func inflate(t *testing.T, loc *url.URL, param string) []byte {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(loc.Query().Get(param))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// golden compares got with testdata/golden/name, or first rewrites it
// with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/demo -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./internal/demo -update if intended)\n got: %s\nwant: %s", name, got, want)
	}
}

// xmllintProtocol validates doc against the OASIS SAML 2.0 protocol
// schema kept in sts/testdata/schemas, offline through its catalog.
func xmllintProtocol(t *testing.T, doc []byte) (string, bool) {
	t.Helper()
	bin := testutil.RequireTool(t, "xmllint")
	dir, err := filepath.Abs(filepath.Join("..", "..", "sts", "testdata", "schemas"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--noout", "--nonet", "--schema", filepath.Join(dir, "saml-schema-protocol-2.0.xsd"), testutil.WriteTemp(t, "doc.xml", doc))
	cmd.Env = append(os.Environ(), "XML_CATALOG_FILES="+filepath.Join(dir, "catalog.xml"))
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}
