package saml2

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"flag"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/sts/internal/ststest"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// The test service provider is an AD FS farm: entity ID, /adfs/ls/ as
// default ACS (index 0) and SLO, a second POST ACS (index 3). It signs
// with, and encrypts to, the "other" test key.
const (
	spEntityID = ststest.Realm
	spACS      = ststest.Reply
	spACSAlt   = "https://adfs.example.com/adfs/ls/alt"
	ssoURL     = "https://sts.acme.example/saml2/sso"
	sloURL     = "https://sts.acme.example/saml2/slo"
	relayState = "7a4e1c2b-0d7f-4b7e-9d1e-3c5e2f1a9b80"
	requestID  = "id-9bc8e3c4-6a2f-4d0b-8a3e-1f2e3d4c5b6a"
	// xmlsec1 arguments for our documents.
	xmlsecAssertion = "--id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion"
	xmlsecResponse  = "--id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response"
	xmlsecLogout    = "--id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse"
)

var persistentKey = bytes.Repeat([]byte{0x42}, 32)

func testSP(t testing.TB) SP {
	_, other := ststest.LoadKeyPair(t, "other")
	return SP{
		EntityID: spEntityID,
		ACS: []Endpoint{
			{Binding: BindingPOST, Location: spACS, Index: 0, IsDefault: true},
			{Binding: "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact", Location: spACS, Index: 1},
			{Binding: BindingPOST, Location: spACSAlt, Index: 3},
		},
		SLO: []Endpoint{
			{Binding: BindingRedirect, Location: spACS},
			{Binding: BindingPOST, Location: spACS},
		},
		SigningCerts:         []*x509.Certificate{other},
		EncryptionCert:       other,
		WantAssertionsSigned: true,
	}
}

func testSPs(t testing.TB, mut ...func(*SP)) SPList {
	sp := testSP(t)
	for _, m := range mut {
		m(&sp)
	}
	return SPList{sp}
}

func parseOpts() ParseOptions {
	return ParseOptions{Endpoint: ssoURL, Now: ststest.FixedNow}
}

// detRand is a deterministic byte stream (SHA-256 in counter mode), so
// transient IDs, content keys and IVs repeat between runs.
type detRand struct {
	n   uint64
	buf []byte
}

func (r *detRand) Read(p []byte) (int, error) {
	for i := range p {
		if len(r.buf) == 0 {
			s := sha256.Sum256([]byte{byte(r.n), byte(r.n >> 8), byte(r.n >> 16)})
			r.n++
			r.buf = s[:]
		}
		p[i], r.buf = r.buf[0], r.buf[1:]
	}
	return len(p), nil
}

func testIdP(t testing.TB) *IdP {
	t.Helper()
	k, c := ststest.LoadKeyPair(t, "signing")
	p, err := NewIdP(IdPConfig{
		EntityID: ststest.EntityID, Signer: k, Certificate: c,
		Now: ststest.FixedNow, NewID: ststest.SeqIDs(), Rand: &detRand{}, PersistentKey: persistentKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// authnRequestXML is AD FS's AuthnRequest (protocol notes §4) with the
// given extra attributes and children.
func authnRequestXML(attrs, children string) string {
	return `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="` + requestID + `" Version="2.0" IssueInstant="2025-05-01T09:59:58.739Z" Destination="` + ssoURL + `" Consent="urn:oasis:names:tc:SAML:2.0:consent:unspecified"` + attrs + `>` +
		`<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">` + spEntityID + `</Issuer>` + children +
		`</samlp:AuthnRequest>`
}

const adfsNameIDPolicy = `<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified" AllowCreate="true"/>`

func deflate(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// redirectQuery encodes xml for HTTP-Redirect; with key set it signs the
// query (sigAlg a SignatureMethod URI) as the bindings say.
func redirectQuery(t testing.TB, xml, relay string, key *rsa.PrivateKey, sigAlg string) string {
	t.Helper()
	q := "SAMLRequest=" + url.QueryEscape(base64.StdEncoding.EncodeToString(deflate(t, []byte(xml))))
	if relay != "" {
		q += "&RelayState=" + url.QueryEscape(relay)
	}
	if key == nil {
		return q
	}
	q += "&SigAlg=" + url.QueryEscape(sigAlg)
	return q + "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(signQuery(t, q, key, sigAlg)))
}

func signQuery(t testing.TB, q string, key *rsa.PrivateKey, sigAlg string) []byte {
	t.Helper()
	h := crypto.SHA256
	if sigAlg == xmlsig.SigRSASHA1 {
		h = crypto.SHA1
	}
	d := h.New()
	d.Write([]byte(q))
	sig, err := rsa.SignPKCS1v15(nil, key, h, d.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// postForm encodes xml for HTTP-POST, signed (enveloped, after Issuer)
// with key when it is set.
func postForm(t testing.TB, xml, relay string, key *rsa.PrivateKey, cert *x509.Certificate) url.Values {
	t.Helper()
	b := []byte(xml)
	if key != nil {
		d := etree.NewDocument()
		if err := d.ReadFromString(xml); err != nil {
			t.Fatal(err)
		}
		s, err := xmlsig.NewSigner(key, cert, layout("request"))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = s.Sign(d.Root(), ""); err != nil {
			t.Fatal(err)
		}
	}
	f := url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(b)}}
	if relay != "" {
		f.Set("RelayState", relay)
	}
	return f
}

func parseADFSRequest(t testing.TB) *AuthnRequest {
	t.Helper()
	r, err := ParseRedirect(redirectQuery(t, authnRequestXML("", adfsNameIDPolicy), relayState, nil, ""), testSPs(t), parseOpts())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// golden compares got with testdata/golden/name, or first rewrites it
// with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./sts/saml2 -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./sts/saml2 -update if intended)\n got: %s\nwant: %s", name, got, want)
	}
}

// xmlsec runs xmlsec1 with args on doc and returns its output and whether
// it succeeded.
func xmlsec(t testing.TB, doc []byte, args ...string) (string, bool) {
	t.Helper()
	bin := testutil.RequireTool(t, "xmlsec1")
	out, err := exec.Command(bin, append(args, testutil.WriteTemp(t, "doc.xml", doc))...).CombinedOutput()
	return string(out), err == nil
}

// xmlsecVerify verifies the signature of the element the XPath selects
// (the first ds:Signature of the document when xpath is "").
func xmlsecVerify(t testing.TB, doc []byte, idAttrs, xpath string) (string, bool) {
	t.Helper()
	args := append([]string{"--verify"}, strings.Fields(idAttrs)...)
	if xpath != "" {
		args = append(args, "--node-xpath", xpath)
	}
	return xmlsec(t, doc, append(args, "--pubkey-cert-pem", ststest.Path("keys/signing-cert.pem"))...)
}

const (
	xpathAssertionSig = "/*/*[local-name()='Assertion']/*[local-name()='Signature']"
	xpathMessageSig   = "/*/*[local-name()='Signature']"
)

var fixedNow = ststest.FixedNow

func at(d time.Duration) func() time.Time { return func() time.Time { return fixedNow().Add(d) } }

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
