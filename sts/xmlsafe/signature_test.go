package xmlsafe

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

func newCert(t *testing.T, cn string, notAfter time.Time) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: notAfter.AddDate(-1, 0, 0), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, c
}

// signed returns <a ID="_a"><v>value</v><ds:Signature/></a> signed with key
// (SHA-256), parsed back through Read as every caller gets it.
func signed(t *testing.T, key *rsa.PrivateKey, cert *x509.Certificate) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(`<a xmlns="urn:test" ID="_a"><v>value</v></a>`); err != nil {
		t.Fatal(err)
	}
	ctx, err := dsig.NewSigningContext(key, [][]byte{cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Hash = crypto.SHA256
	ctx.IdAttribute = "ID"
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	el, err := ctx.SignEnveloped(doc.Root())
	if err != nil {
		t.Fatal(err)
	}
	out := etree.NewDocument()
	out.SetRoot(el)
	b, err := out.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	d, err := Read(b, 0)
	if err != nil {
		t.Fatal(err)
	}
	return d.Root()
}

func TestSignatureReaders(t *testing.T) {
	key, cert := newCert(t, "signer", time.Now().AddDate(1, 0, 0))
	root := signed(t, key, cert)
	sig := Child(root, NSDSig, "Signature")
	if sig == nil {
		t.Fatal("no ds:Signature")
	}
	if got := SignatureMethod(sig); got != "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" {
		t.Errorf("SignatureMethod = %q", got)
	}
	if got := DigestMethods(sig); len(got) != 1 || got[0] != "http://www.w3.org/2001/04/xmlenc#sha256" {
		t.Errorf("DigestMethods = %q", got)
	}
	got, err := KeyInfoCerts(sig)
	if err != nil || len(got) != 1 || !got[0].Equal(cert) {
		t.Fatalf("KeyInfoCerts = %v, %v", got, err)
	}
	if SignatureMethod(etree.NewElement("x")) != "" || DigestMethods(etree.NewElement("x")) != nil {
		t.Error("readers invent algorithms for an element without SignedInfo")
	}
}

// TestKeyInfoCerts: line-wrapped base64 (as .NET writes it) is read, and
// one undecodable certificate fails the list instead of being skipped.
func TestKeyInfoCerts(t *testing.T) {
	_, c1 := newCert(t, "one", time.Now().AddDate(1, 0, 0))
	_, c2 := newCert(t, "two", time.Now().AddDate(1, 0, 0))
	wrap := func(c *x509.Certificate) string {
		s := base64.StdEncoding.EncodeToString(c.Raw)
		var b strings.Builder
		for len(s) > 64 {
			b.WriteString(s[:64] + "\r\n  ")
			s = s[64:]
		}
		return b.String() + s
	}
	keyInfo := func(values ...string) *etree.Element {
		x := `<md:KeyDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="` + NSDSig + `"><ds:KeyInfo><ds:X509Data>`
		for _, v := range values {
			x += "<ds:X509Certificate>" + v + "</ds:X509Certificate>"
		}
		// A KeyInfo in another namespace is not XML-DSig's and is ignored.
		x += `</ds:X509Data></ds:KeyInfo><KeyInfo xmlns="urn:other"><X509Data><X509Certificate>junk</X509Certificate></X509Data></KeyInfo></md:KeyDescriptor>`
		d, err := Read([]byte(x), 0)
		if err != nil {
			t.Fatal(err)
		}
		return d.Root()
	}
	got, err := KeyInfoCerts(keyInfo(wrap(c1), wrap(c2)))
	if err != nil || len(got) != 2 || !got[0].Equal(c1) || !got[1].Equal(c2) {
		t.Fatalf("KeyInfoCerts = %v, %v", got, err)
	}
	for name, bad := range map[string]string{"not base64": "!!!", "not a certificate": base64.StdEncoding.EncodeToString([]byte("hello"))} {
		if got, err := KeyInfoCerts(keyInfo(wrap(c1), bad)); err == nil {
			t.Errorf("%s: %v accepted", name, got)
		}
	}
}

// TestVerifyEnveloped: the right key verifies whatever the certificate's
// dates (callers judge those), another key or a changed byte does not,
// and what comes back is the signed element.
func TestVerifyEnveloped(t *testing.T) {
	key, cert := newCert(t, "signer", time.Now().AddDate(-2, 0, 0)) // expired a year ago
	_, other := newCert(t, "other", time.Now().AddDate(1, 0, 0))
	root := signed(t, key, cert)
	el, err := VerifyEnveloped(root, cert, "ID")
	if err != nil {
		t.Fatalf("expired but right key: %v", err)
	}
	if v := Child(el, "urn:test", "v"); v == nil || v.Text() != "value" {
		t.Errorf("signed element = %v", el)
	}
	if _, err := VerifyEnveloped(root, other, "ID"); err == nil {
		t.Error("verified with a certificate that did not sign it")
	}
	if _, err := VerifyEnveloped(root, nil, "ID"); err == nil {
		t.Error("verified without a certificate")
	}
	if _, err := VerifyEnveloped(root, cert, "AssertionID"); err == nil {
		t.Error("verified with an ID attribute the Reference does not name")
	}
	tampered := root.Copy()
	Child(tampered, "urn:test", "v").SetText("valuE")
	if _, err := VerifyEnveloped(tampered, cert, "ID"); err == nil {
		t.Error("verified a changed value")
	}
}
