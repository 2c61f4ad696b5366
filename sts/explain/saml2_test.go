package explain

import (
	"bytes"
	"compress/flate"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"flag"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/sts/internal/ststest"
	"github.com/claimgate/claimgate/sts/saml2"
	"github.com/claimgate/claimgate/sts/xmlsafe"
	"github.com/claimgate/claimgate/templates"
)

var update = flag.Bool("update", false, "rewrite the golden reports under testdata/golden")

// The AD FS farm as a SAML 2.0 service provider, and its AuthnRequest
// (protocol notes §4: unsigned, id-<guid>, NameIDPolicy unspecified).
const (
	samlRequestID = "id-9bc8e3c4-6a2f-4d0b-8a3e-1f2e3d4c5b6a"
	samlSSO       = "https://sts.acme.example/saml2/sso"
)

// countingRand is a deterministic byte stream (SHA-256 in counter mode)
// for the IdP's content keys, IVs and OAEP seeds.
type countingRand struct {
	n   uint64
	buf []byte
}

func (r *countingRand) Read(p []byte) (int, error) {
	for i := range p {
		if len(r.buf) == 0 {
			s := sha256.Sum256([]byte{byte(r.n), byte(r.n >> 8)})
			r.n++
			r.buf = s[:]
		}
		p[i], r.buf = r.buf[0], r.buf[1:]
	}
	return len(p), nil
}

// samlFixture builds claimgate's own Responses with sts/saml2.
type samlFixture struct {
	idp    *saml2.IdP
	signer *x509.Certificate
	spKey  *rsa.PrivateKey // the SP's (AD FS's) decryption key
	spCert *x509.Certificate
}

func newSAMLFixture(t testing.TB) *samlFixture {
	t.Helper()
	k, c := ststest.LoadKeyPair(t, "signing")
	spKey, spCert := ststest.LoadKeyPair(t, "other")
	idp, err := saml2.NewIdP(saml2.IdPConfig{EntityID: ststest.EntityID, Signer: k, Certificate: c, Now: ststest.FixedNow,
		NewID: ststest.SeqIDs(), Rand: &countingRand{}, SessionIndexKey: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	return &samlFixture{idp: idp, signer: c, spKey: spKey, spCert: spCert}
}

// request parses AD FS's AuthnRequest for an SP changed by mut.
func (f *samlFixture) request(t testing.TB, mut func(*saml2.SP)) *saml2.AuthnRequest {
	t.Helper()
	sp := saml2.SP{EntityID: ststest.Realm, ACS: []saml2.Endpoint{{Binding: saml2.BindingPOST, Location: ststest.Reply, IsDefault: true}},
		EncryptionCert: f.spCert, WantAssertionsSigned: true}
	if mut != nil {
		mut(&sp)
	}
	xml := `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="` + samlRequestID + `" Version="2.0" IssueInstant="2025-05-01T09:59:58.739Z" Destination="` + samlSSO + `" Consent="urn:oasis:names:tc:SAML:2.0:consent:unspecified">` +
		`<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">` + ststest.Realm + `</Issuer>` +
		`<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified" AllowCreate="true"/></samlp:AuthnRequest>`
	req, err := saml2.ParsePOST(url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString([]byte(xml))}, "RelayState": {"relay"}},
		saml2.SPList{sp}, saml2.ParseOptions{Endpoint: samlSSO, Now: ststest.FixedNow})
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// respond is the Response to a two-factor sign-in of the test user.
func (f *samlFixture) respond(t testing.TB, mut func(*saml2.SP)) []byte {
	t.Helper()
	id := ststest.Identity()
	r, err := f.idp.Respond(saml2.ResponseInput{Request: f.request(t, mut), Subject: saml2.Subject{NameID: id.UPN, Email: id.Email, StableID: id.SID},
		Claims: ststest.Claims(), Authn: saml2.Authn{Instant: ststest.FixedNow().Add(-20 * time.Second), SecondFactor: true, SessionIndex: "session-1"}})
	if err != nil {
		t.Fatal(err)
	}
	return r.XML
}

// opts is what AD FS expects of the Responses: claimgate's certificate and
// entity ID, its own identifier, ACS and request ID, its decryption key.
func (f *samlFixture) opts() Options {
	return Options{TrustedCerts: []*x509.Certificate{f.signer}, ExpectedIssuer: ststest.EntityID, ExpectedAudience: ststest.Realm,
		ExpectedDestination: ststest.Reply, ExpectedRequestID: samlRequestID, DecryptionKey: f.spKey, Now: ststest.FixedNow}
}

// TestClaimgateSAMLResponses: every Response claimgate makes passes every
// rule, whichever element is signed, encrypted or not; the error Response
// is explained (status codes and message) with no failed rule and no
// "accepted" verdict.
func TestClaimgateSAMLResponses(t *testing.T) {
	f := newSAMLFixture(t)
	for name, mut := range map[string]func(*saml2.SP){
		"signed assertion":       nil,
		"signed Response":        func(sp *saml2.SP) { sp.SignResponse = true },
		"encrypted, AES-256-CBC": func(sp *saml2.SP) { sp.EncryptAssertions, sp.EncryptionMethod = true, saml2.EncAES256CBC },
		"encrypted, AES-256-GCM": func(sp *saml2.SP) { sp.EncryptAssertions, sp.EncryptionMethod = true, saml2.EncAES256GCM },
		"encrypted, signed, 128": func(sp *saml2.SP) {
			sp.EncryptAssertions, sp.EncryptionMethod, sp.SignResponse = true, saml2.EncAES128CBC, true
		},
		"rsa-sha1 (trust says so)": func(sp *saml2.SP) { sp.SignatureAlgorithm = "rsa-sha1" },
	} {
		t.Run(name, func(t *testing.T) {
			o := f.opts()
			if strings.HasPrefix(name, "rsa-sha1") {
				o.SignatureAlgorithm = "rsa-sha1"
			}
			r := explainOK(t, f.respond(t, mut), o)
			if !r.Accepted || len(r.Skipped()) != 0 || r.Refusal != "" {
				t.Fatalf("not accepted with every rule checked:\n%s", r.Text())
			}
			if !slices.ContainsFunc(r.Claims, func(c Claim) bool { return c.Type == "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn" }) {
				t.Errorf("claims not listed:\n%s", r.Text())
			}
			if strings.HasPrefix(name, "encrypted") && !strings.Contains(r.Check(CheckEncryption).Message, "RSA") &&
				!strings.Contains(r.Check(CheckEncryption).Message, "rsa-oaep-mgf1p") {
				t.Errorf("encryption algorithms not named: %s", r.Check(CheckEncryption).Message)
			}
		})
	}

	// Without the private key the encryption is reported and the rules
	// of the assertion inside are skipped, never passed.
	o := f.opts()
	o.DecryptionKey = nil
	r := explainOK(t, f.respond(t, func(sp *saml2.SP) { sp.EncryptAssertions, sp.EncryptionMethod = true, saml2.EncAES256CBC }), o)
	if enc := r.Check(CheckEncryption); !enc.Skipped || !strings.Contains(enc.Message, saml2.EncMethodAES256CBC) || !strings.Contains(enc.Message, saml2.KeyTransportRSAOAEP) ||
		!r.Check(CheckAudience).Skipped || !r.Check(CheckSignature).Skipped || len(r.Claims) != 0 {
		t.Errorf("encrypted, no key:\n%s", r.Text())
	}

	se := saml2.NewStatusError(f.request(t, nil), saml2.StatusResponder, saml2.StatusInvalidNameIDPolicy, "test")
	er, err := f.idp.ErrorResponse(se)
	if err != nil {
		t.Fatal(err)
	}
	r = explainOK(t, er.XML, f.opts())
	text := r.Text()
	if len(r.Failed()) != 0 || r.Accepted || !r.Check(CheckSignature).OK || !r.Check(CheckStatus).OK ||
		!strings.Contains(r.Refusal, "Responder / InvalidNameIDPolicy") || !strings.Contains(r.Refusal, se.Message) ||
		!strings.Contains(text, "Verdict: a well-formed SAML error Response") {
		t.Errorf("error Response:\n%s", text)
	}
}

// TestBrokenSAMLResponses: each fault in a Response (or in what AD FS
// expected) fails exactly the rules that name it.
func TestBrokenSAMLResponses(t *testing.T) {
	f := newSAMLFixture(t)
	good := f.respond(t, nil)
	signedResp := f.respond(t, func(sp *saml2.SP) { sp.SignResponse = true })
	edit := func(doc []byte, old, new string) []byte {
		t.Helper()
		if !bytes.Contains(doc, []byte(old)) {
			t.Fatalf("%q not in the Response", old)
		}
		return bytes.Replace(doc, []byte(old), []byte(new), 1)
	}
	for name, c := range map[string]struct {
		doc  []byte
		opts func(*Options)
		want []string
	}{
		"wrong audience":                      {good, func(o *Options) { o.ExpectedAudience = "http://other.example.com/adfs/services/trust" }, []string{CheckAudience}},
		"bearer window over":                  {good, func(o *Options) { o.Now = func() time.Time { return ststest.FixedNow().Add(11 * time.Minute) } }, []string{CheckConfirmation}},
		"expired":                             {good, func(o *Options) { o.Now = func() time.Time { return ststest.FixedNow().Add(2 * time.Hour) } }, []string{CheckConfirmation, CheckLifetime}},
		"InResponseTo mismatch":               {good, func(o *Options) { o.ExpectedRequestID = "id-other" }, []string{CheckInResponseTo}},
		"Destination mismatch":                {good, func(o *Options) { o.ExpectedDestination = "https://adfs.example.com/adfs/ls/other" }, []string{CheckDestination, CheckConfirmation}},
		"unknown signing key":                 {good, func(o *Options) { o.TrustedCerts = []*x509.Certificate{f.spCert} }, []string{CheckSigningKey}},
		"weaker than the trust":               {f.respond(t, func(sp *saml2.SP) { sp.SignatureAlgorithm = "rsa-sha1" }), nil, []string{CheckSigAlgorithm}},
		"bad signature":                       {edit(good, ">alice@corp.example</saml:AttributeValue>", ">mallory@corp.example</saml:AttributeValue>"), nil, []string{CheckSignature}},
		"bad Response signature":              {edit(signedResp, `Destination="`+ststest.Reply+`"`, `Destination="`+ststest.Reply+`" Consent="urn:oasis:names:tc:SAML:2.0:consent:obtained"`), nil, []string{CheckSignature}},
		"wrapping: second unsigned assertion": {wrapped(t, good), nil, []string{CheckWrapping}},
		"wrapping: assertion in Extensions":   {edit(good, "<samlp:Status>", "<samlp:Extensions>"+evilAssertion(t, good)+"</samlp:Extensions><samlp:Status>"), nil, []string{CheckWrapping}},
		"InResponseTo differs inside": {edit(good, `InResponseTo="`+samlRequestID+`" NotOnOrAfter`, `InResponseTo="id-forged" NotOnOrAfter`), nil,
			[]string{CheckInResponseTo, CheckSignature}},
		"unsigned":     {unsign(t, good), nil, []string{CheckSignature}},
		"wrong SP key": {f.respond(t, func(sp *saml2.SP) { sp.EncryptAssertions = true }), func(o *Options) { o.DecryptionKey, _ = ststest.LoadKeyPair(t, "signing") }, []string{CheckEncryption}},
		"Version 1.0":  {edit(good, `Version="2.0"`, `Version="1.0"`), nil, []string{CheckResponse}},
		"wrong issuer": {good, func(o *Options) { o.ExpectedIssuer = "https://other.example/" }, []string{CheckIssuer}},
		"reference to another ID": {edit(good, `<ds:Reference URI="#_00000000-0000-4000-8000-000000000002"`, `<ds:Reference URI="#_00000000-0000-4000-8000-000000000001"`), nil,
			[]string{CheckSignature, CheckSigReference}},
		"primarysid not a SID": {edit(good, ">S-1-5-21-1244064708-1559740698-2793246312-1643<", ">alice<"), nil, []string{CheckSignature, CheckAttributes}},
		"no Destination":       {edit(signedResp, `Destination="`+ststest.Reply+`" `, ``), nil, []string{CheckDestination, CheckSignature}},
	} {
		t.Run(name, func(t *testing.T) {
			o := f.opts()
			if c.opts != nil {
				c.opts(&o)
			}
			r := explainOK(t, c.doc, o)
			if got := r.Failed(); !slices.Equal(got, c.want) || r.Accepted {
				t.Fatalf("failed %v, want %v:\n%s", got, c.want, r.Text())
			}
		})
	}
}

// evilAssertion is the Response's assertion unsigned and changed to
// another user: what a signature-wrapping attacker adds.
func evilAssertion(t *testing.T, resp []byte) string {
	t.Helper()
	s := string(resp)
	i, j := strings.Index(s, "<saml:Assertion"), strings.Index(s, "</saml:Assertion>")
	a := s[i : j+len("</saml:Assertion>")]
	if k, l := strings.Index(a, "<ds:Signature"), strings.Index(a, "</ds:Signature>"); k >= 0 && l > k {
		a = a[:k] + a[l+len("</ds:Signature>"):]
	}
	return strings.ReplaceAll(strings.Replace(a, `ID="`, `ID="_evil`, 1), "alice@corp.example", "mallory@corp.example")
}

// wrapped puts an unsigned assertion before the signed one.
func wrapped(t *testing.T, resp []byte) []byte {
	s := string(resp)
	i := strings.Index(s, "<saml:Assertion")
	return []byte(s[:i] + evilAssertion(t, resp) + s[i:])
}

// unsign removes the assertion's signature.
func unsign(t *testing.T, resp []byte) []byte {
	s := string(resp)
	k, l := strings.Index(s, "<ds:Signature"), strings.Index(s, "</ds:Signature>")
	if k < 0 {
		t.Fatal("no signature")
	}
	return []byte(s[:k] + s[l+len("</ds:Signature>"):])
}

// TestSAMLResponseInputForms: the Response is read as XML, base64, a
// SAMLResponse form body and the saved auto-POST page, with the same
// verdict; the report of claimgate's Response is kept as a golden file.
func TestSAMLResponseInputForms(t *testing.T) {
	f := newSAMLFixture(t)
	doc := f.respond(t, nil)
	b64 := base64.StdEncoding.EncodeToString(doc)
	page := autoPostPageFields(t, []fieldKV{{"SAMLResponse", b64}, {"RelayState", "relay"}})
	for name, in := range map[string]struct {
		in   []byte
		desc string
	}{
		"XML":       {doc, "XML: SAML 2.0 Response"},
		"base64":    {[]byte(b64), "base64: SAML 2.0 Response"},
		"form body": {[]byte("SAMLResponse=" + url.QueryEscape(b64) + "&RelayState=relay"), "SAML POST (SAMLResponse): SAML 2.0 Response"},
		"HTML page": {page, "HTML auto-POST page, form field SAMLResponse: SAML 2.0 Response"},
	} {
		r := explainOK(t, in.in, f.opts())
		if !r.Accepted || r.Input != in.desc {
			t.Errorf("%s: input %q, accepted %v:\n%s", name, r.Input, r.Accepted, r.Text())
		}
	}
	got := []byte(explainOK(t, doc, f.opts()).Text())
	golden := filepath.Join("testdata", "golden", "saml2-signed-assertion.txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./sts/explain -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("report differs from %s (run with -update after checking):\n%s", golden, got)
	}
}

type fieldKV struct{ name, value string }

// autoPostPageFields renders the real auto-POST page with the fields.
func autoPostPageFields(t *testing.T, fields []fieldKV) []byte {
	t.Helper()
	set, err := templates.New(templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := templates.AutoPostData{Action: ststest.Reply}
	for _, f := range fields {
		d.Fields = append(d.Fields, templates.Field{Name: f.name, Value: f.value})
	}
	var b bytes.Buffer
	if err := set.Render(&b, templates.PageAutoPost, d); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func FuzzExplain(f *testing.F) {
	for _, name := range []string{"adfs-wsignin-crlf.txt", "adfs-wresult-crlf.xml", "adfs-saml11-assertion-cr-escaped.xml"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte("wa=wsignin1.0&wresult=%3Cx%2F%3E"))
	f.Add([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r" Version="2.0" IssueInstant="2025-05-01T10:00:00Z"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:Response>`))
	// claimgate's own Responses, plain and encrypted, decrypted with the
	// SP's key, so the fuzzer starts from the SAML 2.0 rules' good path.
	sf := newSAMLFixture(f)
	f.Add(sf.respond(f, func(sp *saml2.SP) { sp.SignResponse = true }))
	f.Add(sf.respond(f, func(sp *saml2.SP) { sp.EncryptAssertions, sp.EncryptionMethod = true, saml2.EncAES128CBC }))
	f.Add(sf.respond(f, func(sp *saml2.SP) { sp.EncryptAssertions, sp.EncryptionMethod = true, saml2.EncAES256GCM }))
	opts := Options{TrustedCerts: []*x509.Certificate{realCert(f), sf.signer}, Now: realNow, DecryptionKey: sf.spKey}
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := Explain(in, opts)
		if err != nil {
			return
		}
		if r.Accepted && !r.Check(CheckSignature).OK {
			t.Fatal("accepted with a failed signature")
		}
	})
}

// TestDecryptGivesTheAssertionExactly: the plaintext is the signed
// assertion's bytes, no padding or IV left, for every content algorithm
// claimgate encrypts with.
func TestDecryptGivesTheAssertionExactly(t *testing.T) {
	f := newSAMLFixture(t)
	for _, m := range []string{saml2.EncAES128CBC, saml2.EncAES256CBC, saml2.EncAES256GCM} {
		doc := f.respond(t, func(sp *saml2.SP) { sp.EncryptAssertions, sp.EncryptionMethod = true, m })
		d, err := xmlsafe.Read(doc, 0)
		if err != nil {
			t.Fatal(err)
		}
		ea := xmlsafe.Child(d.Root(), nsSAML2, "EncryptedAssertion")
		plain, err := readEncryption(ea).decrypt(f.spKey)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if !bytes.HasPrefix(plain, []byte("<saml:Assertion ")) || !bytes.HasSuffix(plain, []byte("</saml:Assertion>")) {
			t.Errorf("%s: plaintext is not exactly the assertion: %q ... %q", m, plain[:min(40, len(plain))], plain[max(0, len(plain)-40):])
		}
	}
}

// TestSAMLVerdictsAgreeWithXmlsec1: xmlsec1, an implementation independent
// of goxmldsig and of explain's decryption, reaches the same verdict on
// the signatures of good and tampered Responses, and decrypts an
// EncryptedAssertion to the same assertion.
func TestSAMLVerdictsAgreeWithXmlsec1(t *testing.T) {
	f := newSAMLFixture(t)
	bin := testutil.RequireTool(t, "xmlsec1")
	xmlsec := func(doc []byte, args ...string) (string, bool) {
		t.Helper()
		out, err := exec.Command(bin, append(args, testutil.WriteTemp(t, "doc.xml", doc))...).CombinedOutput()
		return string(out), err == nil
	}
	const (
		idAttrs      = "--id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion --id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response"
		assertionSig = "/*/*[local-name()='Assertion']/*[local-name()='Signature']"
		responseSig  = "/*/*[local-name()='Signature']"
	)
	verify := func(doc []byte, xpath string) bool {
		args := append(append([]string{"--verify"}, strings.Fields(idAttrs)...), "--node-xpath", xpath, "--pubkey-cert-pem", ststest.Path("keys/signing-cert.pem"))
		_, ok := xmlsec(doc, args...)
		return ok
	}
	signed := f.respond(t, func(sp *saml2.SP) { sp.SignResponse = true })
	for name, c := range map[string]struct {
		doc   []byte
		xpath string
	}{
		"assertion":                {signed, assertionSig},
		"Response":                 {signed, responseSig},
		"tampered assertion":       {bytes.Replace(signed, []byte(">alice@corp.example</saml:AttributeValue>"), []byte(">mallory@corp.example</saml:AttributeValue>"), 1), assertionSig},
		"tampered Response header": {bytes.Replace(signed, []byte(`Destination="`+ststest.Reply+`"`), []byte(`Destination="https://evil.example/"`), 1), responseSig},
	} {
		r := explainOK(t, c.doc, f.opts())
		if ours, theirs := r.Check(CheckSignature).OK, verify(c.doc, c.xpath); ours != theirs {
			t.Errorf("%s: explain's signature rule says %v, xmlsec1 says %v:\n%s", name, ours, theirs, r.Text())
		}
	}

	enc := f.respond(t, func(sp *saml2.SP) { sp.EncryptAssertions, sp.EncryptionMethod = true, saml2.EncAES256CBC })
	out, ok := xmlsec(enc, "--decrypt", "--privkey-pem", ststest.Path("keys/other-key.pem"))
	if !ok {
		t.Fatalf("xmlsec1 --decrypt: %s", out)
	}
	d, err := xmlsafe.Read(enc, 0)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := readEncryption(xmlsafe.Child(d.Root(), nsSAML2, "EncryptedAssertion")).decrypt(f.spKey)
	if err != nil {
		t.Fatal(err)
	}
	// xmlsec1 prints the Response with the assertion in place of the
	// EncryptedData, serialised by libxml2: compare them canonically.
	i := strings.Index(out, "<?xml")
	if i < 0 {
		t.Fatalf("xmlsec1 --decrypt printed no document: %s", out)
	}
	theirs, err := xmlsafe.Read([]byte(out[i:]), 0)
	if err != nil {
		t.Fatal(err)
	}
	ta := theirs.Root().FindElement(".//Assertion")
	ours, err := xmlsafe.Read(plain, 0)
	if err != nil || ta == nil {
		t.Fatalf("%v, xmlsec1's assertion %v", err, ta)
	}
	if a, b := canonical(ours.Root()), canonical(ta); a != b {
		t.Errorf("explain's plaintext is not what xmlsec1 decrypts:\nours:    %s\nxmlsec1: %s", a, b)
	}
}

// TestReadAuthnRequest: the SAMLRequest of AD FS's Redirect URL (DEFLATEd)
// and of a POST (plain) give the ID, Issuer and ACS; anything else, and a
// request inflating past the cap, is refused.
func TestReadAuthnRequest(t *testing.T) {
	xml := `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="` + samlRequestID + `" Version="2.0" IssueInstant="2025-05-01T09:59:58.739Z" AssertionConsumerServiceURL="` + ststest.Reply + `">` +
		`<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">` + ststest.Realm + `</Issuer></samlp:AuthnRequest>`
	var z bytes.Buffer
	w, _ := flate.NewWriter(&z, flate.BestCompression)
	_, _ = w.Write([]byte(xml))
	_ = w.Close()
	want := AuthnRequestInfo{ID: samlRequestID, Issuer: ststest.Realm, ACS: ststest.Reply}
	for name, v := range map[string]string{"redirect": base64.StdEncoding.EncodeToString(z.Bytes()), "post": base64.StdEncoding.EncodeToString([]byte(xml))} {
		got, err := ReadAuthnRequest(v, 0)
		if err != nil || *got != want {
			t.Errorf("%s: %+v, %v", name, got, err)
		}
	}
	var bomb bytes.Buffer
	w, _ = flate.NewWriter(&bomb, flate.BestCompression)
	_, _ = w.Write([]byte("<samlp:AuthnRequest " + strings.Repeat(" ", 1<<20)))
	_ = w.Close()
	for name, v := range map[string]string{
		"a Response":   base64.StdEncoding.EncodeToString([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r"/>`)),
		"not base64":   "%%%",
		"no ID":        base64.StdEncoding.EncodeToString([]byte(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`)),
		"deflate bomb": base64.StdEncoding.EncodeToString(bomb.Bytes()),
	} {
		if got, err := ReadAuthnRequest(v, 64<<10); err == nil {
			t.Errorf("%s: accepted as %+v", name, got)
		}
	}
}
