package explain

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// TestSAML2Response checks the SAML 2.0 path with a signed assertion inside a
// Response, given base64-encoded and as a SAMLResponse form body.
func TestSAML2Response(t *testing.T) {
	s := newSigner(t, "claimgate signing")
	a := `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1" Version="2.0" IssueInstant="` + issueAt.Format(ts) + `">` +
		`<saml:Issuer>` + cgIssuer + `</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">alice</saml:NameID></saml:Subject>` +
		`<saml:Conditions NotBefore="` + issueAt.Add(-time.Minute).Format(ts) + `" NotOnOrAfter="` + issueAt.Add(time.Hour).Format(ts) + `"><saml:AudienceRestriction><saml:Audience>` + adfsID + `</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
		`<saml:AuthnStatement AuthnInstant="` + issueAt.Format(ts) + `"><saml:AuthnContext><saml:AuthnContextClassRef>http://schemas.microsoft.com/claims/multipleauthn</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
		`<saml:AttributeStatement><saml:Attribute Name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"><saml:AttributeValue>alice@corp.example</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion>`
	doc := etree.NewDocument()
	if err := doc.ReadFromString(a); err != nil {
		t.Fatal(err)
	}
	ctx, _ := dsig.NewSigningContext(s.key, [][]byte{s.cert.Raw})
	ctx.Hash = crypto.SHA256
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	signed, err := ctx.SignEnveloped(doc.Root())
	if err != nil {
		t.Fatal(err)
	}
	out := etree.NewDocument()
	out.SetRoot(signed)
	as, _ := out.WriteToString()
	resp := `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1" Version="2.0" IssueInstant="` + issueAt.Format(ts) + `" Destination="https://adfs.example.com/adfs/ls/">` +
		`<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` + as + `</samlp:Response>`
	b64 := base64.StdEncoding.EncodeToString([]byte(resp))
	opts := Options{TrustedCerts: []*x509.Certificate{s.cert}, ExpectedAudience: adfsID, ExpectedIssuer: cgIssuer, Now: func() time.Time { return issueAt }}
	for name, in := range map[string]string{"base64": b64, "form": "SAMLResponse=" + url.QueryEscape(b64) + "&RelayState=abc"} {
		r := explainOK(t, []byte(in), opts)
		if !r.Accepted || !r.Check(CheckSignature).OK || r.Check(CheckVersion).Message[:8] != "SAML 2.0" {
			t.Fatalf("%s:\n%s", name, r.Text())
		}
	}
	opts.ExpectedAudience = "http://other/adfs/services/trust"
	r := explainOK(t, []byte(b64), opts)
	if got := r.Failed(); !slices.Equal(got, []string{CheckAudience}) {
		t.Fatalf("failed = %v\n%s", got, r.Text())
	}
}

func FuzzExplain(f *testing.F) {
	for _, name := range []string{"adfs-wsignin-crlf.txt", "adfs-wresult-crlf.xml", "adfs-saml11-assertion-cr-escaped.xml"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte("wa=wsignin1.0&wresult=%3Cx%2F%3E"))
	opts := Options{TrustedCerts: []*x509.Certificate{realCert(f)}, Now: realNow}
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
