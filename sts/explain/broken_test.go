package explain

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

const (
	adfsID   = "http://adfs.example.com/adfs/services/trust"
	cgIssuer = "https://sts.acme.example/"
)

var issueAt = time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)

type signer struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

func newSigner(t *testing.T, cn string) signer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: issueAt.AddDate(-1, 0, 0), NotAfter: issueAt.AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return signer{key, c}
}

// tok describes one claims-provider token; the zero deltas give a correct one.
type tok struct {
	id, audience, authnSubject string
	notBefore, notOnOrAfter    time.Time
	noAuthn                    bool
	street                     string // set after parsing, so a CR survives into the tree
	tamper                     bool   // change the upn value after signing
	noKeyInfo                  bool   // drop ds:KeyInfo after signing (it is not signed)
	badKeyInfo                 bool   // replace the KeyInfo certificate with text that is not base64
}

func good() tok {
	return tok{id: "_3f0c2d6e-7b8a-4c1d-9e2f-0a1b2c3d4e5f", audience: adfsID, authnSubject: "alice@corp.example",
		notBefore: issueAt.Add(-5 * time.Minute), notOnOrAfter: issueAt.Add(time.Hour), street: "1 Main St"}
}

const ts = "2006-01-02T15:04:05.000Z"

func subjectXML(name string) string {
	return `<saml:Subject><saml:NameIdentifier Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">` + name +
		`</saml:NameIdentifier><saml:SubjectConfirmation><saml:ConfirmationMethod>urn:oasis:names:tc:SAML:1.0:cm:bearer</saml:ConfirmationMethod></saml:SubjectConfirmation></saml:Subject>`
}

// build returns the wresult (RSTR) for k, its assertion signed by s the way the
// protocol notes prescribe for goxmldsig.
func build(t *testing.T, k tok, s signer) []byte {
	t.Helper()
	authn := ""
	if !k.noAuthn {
		authn = `<saml:AuthenticationStatement AuthenticationMethod="http://schemas.microsoft.com/claims/multipleauthn" AuthenticationInstant="` +
			issueAt.Add(-20*time.Second).Format(ts) + `">` + subjectXML(k.authnSubject) + `</saml:AuthenticationStatement>`
	}
	a := fmt.Sprintf(`<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" MajorVersion="1" MinorVersion="1" AssertionID="%s" Issuer="%s" IssueInstant="%s">`+
		`<saml:Conditions NotBefore="%s" NotOnOrAfter="%s"><saml:AudienceRestrictionCondition><saml:Audience>%s</saml:Audience></saml:AudienceRestrictionCondition></saml:Conditions>`+
		`<saml:AttributeStatement>%s`+
		`<saml:Attribute AttributeName="upn" AttributeNamespace="http://schemas.xmlsoap.org/ws/2005/05/identity/claims"><saml:AttributeValue>alice@corp.example</saml:AttributeValue></saml:Attribute>`+
		`<saml:Attribute AttributeName="streetaddress" AttributeNamespace="http://schemas.xmlsoap.org/ws/2005/05/identity/claims"><saml:AttributeValue>x</saml:AttributeValue></saml:Attribute>`+
		`<saml:Attribute AttributeName="authnmethodsreferences" AttributeNamespace="http://schemas.microsoft.com/claims"><saml:AttributeValue>http://schemas.microsoft.com/claims/multipleauthn</saml:AttributeValue></saml:Attribute>`+
		`</saml:AttributeStatement>%s</saml:Assertion>`,
		k.id, cgIssuer, issueAt.Format(ts), k.notBefore.Format(ts), k.notOnOrAfter.Format(ts), k.audience, subjectXML("alice@corp.example"), authn)
	doc := etree.NewDocument()
	if err := doc.ReadFromString(a); err != nil {
		t.Fatal(err)
	}
	values := doc.Root().FindElements("./saml:AttributeStatement/saml:Attribute/saml:AttributeValue")
	values[1].SetText(k.street)

	ctx, err := dsig.NewSigningContext(s.key, [][]byte{s.cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Hash = crypto.SHA256
	ctx.IdAttribute = "AssertionID"
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	ctx.Prefix = "ds"
	signed, err := ctx.SignEnveloped(doc.Root())
	if err != nil {
		t.Fatal(err)
	}
	if k.tamper {
		signed.FindElement("./saml:AttributeStatement/saml:Attribute/saml:AttributeValue").SetText("mallory@corp.example")
	}
	if k.noKeyInfo {
		ki := signed.FindElement("./ds:Signature/ds:KeyInfo")
		ki.Parent().RemoveChild(ki)
	}
	if k.badKeyInfo {
		signed.FindElement("./ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate").SetText("!not base64!")
	}
	out := etree.NewDocument()
	out.SetRoot(signed) // default WriteSettings: a CR is written raw, as etree does
	assertion, err := out.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	wsu := `xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"`
	return []byte(`<t:RequestSecurityTokenResponse xmlns:t="http://schemas.xmlsoap.org/ws/2005/02/trust"><t:Lifetime>` +
		`<wsu:Created ` + wsu + `>` + k.notBefore.Format(ts) + `</wsu:Created><wsu:Expires ` + wsu + `>` + k.notOnOrAfter.Format(ts) + `</wsu:Expires></t:Lifetime>` +
		`<wsp:AppliesTo xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"><wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:Address>` + k.audience +
		`</wsa:Address></wsa:EndpointReference></wsp:AppliesTo><t:RequestedSecurityToken>` + assertion + `</t:RequestedSecurityToken>` +
		`<t:TokenType>urn:oasis:names:tc:SAML:1.0:assertion</t:TokenType><t:RequestType>http://schemas.xmlsoap.org/ws/2005/02/trust/Issue</t:RequestType>` +
		`<t:KeyType>http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey</t:KeyType></t:RequestSecurityTokenResponse>`)
}

// TestBrokenTokens breaks one thing at a time; Explain must name exactly that rule.
func TestBrokenTokens(t *testing.T) {
	good1, other := newSigner(t, "claimgate signing"), newSigner(t, "someone else")
	opts := Options{TrustedCerts: []*x509.Certificate{good1.cert}, ExpectedAudience: adfsID, ExpectedIssuer: cgIssuer,
		Now: func() time.Time { return issueAt.Add(time.Minute) }}

	r := explainOK(t, build(t, good(), good1), opts)
	if !r.Accepted {
		t.Fatalf("the correct token is rejected:\n%s", r.Text())
	}
	if !r.Check(CheckShape).OK || !r.Check(CheckAppliesTo).OK || !r.Check(CheckSigningKey).OK {
		t.Fatalf("correct token:\n%s", r.Text())
	}

	cases := []struct {
		name  string
		mod   func(*tok)
		key   signer
		check string
		code  string
		words string
	}{
		{"tampered after signing", func(k *tok) { k.tamper = true }, good1, CheckSignature, "364/MSIS7012", "digest mismatch"},
		{"wrong key", func(k *tok) {}, other, CheckSigningKey, "371/ID4037", "CN=someone else"},
		{"wrong audience", func(k *tok) { k.audience = "https://adfs.example.com/adfs/services/trust" }, good1, CheckAudience, "364/ID1038", "is not the AD FS identifier"},
		{"expired", func(k *tok) { k.notBefore, k.notOnOrAfter = issueAt.Add(-2*time.Hour), issueAt.Add(-10*time.Minute) }, good1, CheckLifetime, "364/ID4148", "expired"},
		{"not yet valid", func(k *tok) { k.notBefore = issueAt.Add(10 * time.Minute) }, good1, CheckLifetime, "364/ID4148", "not yet valid"},
		{"missing AuthenticationStatement", func(k *tok) { k.noAuthn = true }, good1, CheckAuthnStatement, "364/MSIS7000", "0 AuthenticationStatement"},
		{"subject mismatch", func(k *tok) { k.authnSubject = "bob@corp.example" }, good1, CheckSubjects, "", "Subjects differ"},
		{"AssertionID starts with a digit", func(k *tok) { k.id = "3f0c2d6e-7b8a-4c1d-9e2f-0a1b2c3d4e5f" }, good1, CheckAssertionID, "364/MSIS7000", "starts with a digit"},
		{"raw CR in a value", func(k *tok) { k.street = "street\r\nVia Roggia Arzona 1" }, good1, CheckCR, "364/MSIS7012", "streetaddress contains a raw CR"},
		{"no KeyInfo", func(k *tok) { k.noKeyInfo = true }, good1, CheckSigningKey, "364/ID4037", "cannot be resolved"},
		// Before the shared KeyInfo reader, an undecodable certificate was
		// skipped and the trusted one tried instead; AD FS cannot do that.
		{"KeyInfo certificate not base64", func(k *tok) { k.badKeyInfo = true }, good1, CheckSigningKey, "364/ID4037", "not base64"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := good()
			c.mod(&k)
			r := explainOK(t, build(t, k, c.key), opts)
			if got := r.Failed(); !slices.Equal(got, []string{c.check}) {
				t.Fatalf("failed = %v, want only [%s]:\n%s", got, c.check, r.Text())
			}
			ch := r.Check(c.check)
			if ch.Code != c.code || !strings.Contains(ch.Message, c.words) || ch.Fix == "" {
				t.Errorf("%s = %+v", c.check, ch)
			}
			if r.Accepted {
				t.Error("Accepted with a failed check")
			}
		})
	}
}

func TestInputForms(t *testing.T) {
	for name, in := range map[string]string{
		"empty":     "  ",
		"garbage":   "not a token",
		"no result": "wa=wsignin1.0&wctx=abc",
	} {
		if _, err := Explain([]byte(in), Options{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	r, err := Explain([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><x/>`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Failed(); !slices.Equal(got, []string{CheckWellFormed}) || len(r.Checks) != len(CheckNames()) {
		t.Fatalf("DOCTYPE: %v\n%s", got, r.Text())
	}
}

// TestCommentInSignedTextRefused: explain uses the verifier's gate, so a
// comment inside a signed value (exclusive C14N drops it and the signature
// still verifies: the old explain gate skipped comments and accepted this
// token) fails well-formed, as the verifier refuses it.
func TestCommentInSignedTextRefused(t *testing.T) {
	s := newSigner(t, "claimgate signing")
	opts := Options{TrustedCerts: []*x509.Certificate{s.cert}, ExpectedAudience: adfsID, ExpectedIssuer: cgIssuer,
		Now: func() time.Time { return issueAt.Add(time.Minute) }}
	in := strings.Replace(string(build(t, good(), s)), "<saml:AttributeValue>alice@corp.example<", "<saml:AttributeValue>alice@corp<!---->.example<", 1)
	if !strings.Contains(in, "<!---->") {
		t.Fatal("fixture changed")
	}
	r := explainOK(t, []byte(in), opts)
	if got := r.Failed(); !slices.Equal(got, []string{CheckWellFormed}) || !strings.Contains(r.Check(CheckWellFormed).Message, "comment") {
		t.Fatalf("failed = %v:\n%s", got, r.Text())
	}
}

// TestExpiredSigningCertificate: a token signed by a certificate that is
// on the trust but no longer valid is what AD FS refuses as "Claims
// Provider Signing Certificate Is Not Valid"; only signing-key fails.
func TestExpiredSigningCertificate(t *testing.T) {
	s := newSigner(t, "claimgate signing")
	opts := Options{TrustedCerts: []*x509.Certificate{s.cert}, ExpectedAudience: adfsID, ExpectedIssuer: cgIssuer,
		Now: func() time.Time { return issueAt.Add(time.Minute) }}
	if r := explainOK(t, build(t, good(), s), opts); !r.Accepted {
		t.Fatalf("valid certificate rejected:\n%s", r.Text())
	}
	// The same token judged after the certificate ran out (its lifetime
	// check then fails too, so look at the signing-key rule itself).
	late := s.cert.NotAfter.Add(time.Hour)
	k := good()
	k.notBefore, k.notOnOrAfter = late.Add(-5*time.Minute), late.Add(time.Hour)
	opts.Now = func() time.Time { return late }
	r := explainOK(t, build(t, k, s), opts)
	if got := r.Failed(); !slices.Equal(got, []string{CheckSigningKey}) {
		t.Fatalf("failed = %v, want only [%s]:\n%s", got, CheckSigningKey, r.Text())
	}
	if c := r.Check(CheckSigningKey); !strings.Contains(c.Code, "Not Valid") || !strings.Contains(c.Message, "valid only") {
		t.Errorf("signing-key = %+v", c)
	}
}
