package xmlsig

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/sts/internal/ststest"
	"github.com/claimgate/claimgate/sts/xmlsafe"
)

const (
	nsSAML2P = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsSAML2  = "urn:oasis:names:tc:SAML:2.0:assertion"
)

// response is a SAML 2.0 protocol message in the shape the signature must
// be placed in: Issuer, then (after signing) ds:Signature, then Status.
func response() *etree.Element {
	r := etree.NewElement("samlp:Response")
	r.CreateAttr("xmlns:samlp", nsSAML2P)
	r.CreateAttr("xmlns:saml", nsSAML2)
	r.CreateAttr("ID", "_r1")
	r.CreateAttr("Version", "2.0")
	r.CreateElement("saml:Issuer").SetText("https://sts.acme.example/")
	r.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:Success")
	return r
}

func childTags(t *testing.T, doc []byte) string {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, c := range d.Root().ChildElements() {
		tags = append(tags, c.Tag)
	}
	return strings.Join(tags, ",")
}

// TestSignPlaces signs one element per place and checks that the
// signature sits where the document type wants it, that xmlsec1 (an
// independent implementation) and Verify accept it, and that a changed
// byte fails both.
func TestSignPlaces(t *testing.T) {
	k, c := ststest.LoadKeyPair(t, "signing")
	certPEM := ststest.Path("keys/signing-cert.pem")
	plain := func() *etree.Element {
		e := etree.NewElement("t:Doc")
		e.CreateAttr("xmlns:t", "urn:test")
		e.CreateAttr("ID", "_d1")
		e.CreateElement("t:A").SetText("a\r\nb & <c>")
		e.CreateElement("t:B")
		return e
	}
	cases := []struct {
		name   string
		layout Layout
		el     *etree.Element
		xmlsec string
		want   string
	}{
		{"last (SAML 1.1)", Layout{Name: "doc", IDAttr: "ID", Place: PlaceLast}, plain(), "--id-attr:ID urn:test:Doc", "A,B,Signature"},
		{"first (metadata)", Layout{Name: "doc", IDAttr: "ID", Place: PlaceFirst}, plain(), "--id-attr:ID urn:test:Doc", "Signature,A,B"},
		{"after Issuer (SAML 2.0)", Layout{Name: "response", IDAttr: "ID", Place: PlaceAfter, AfterNS: nsSAML2, AfterTag: "Issuer"}, response(),
			"--id-attr:ID " + nsSAML2P + ":Response", "Issuer,Signature,Status"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSigner(k, c, tc.layout)
			if err != nil {
				t.Fatal(err)
			}
			before, _ := etree.NewDocumentWithRoot(tc.el.Copy()).WriteToString()
			for _, alg := range []string{"", AlgRSASHA256, AlgRSASHA1} {
				doc, err := s.Sign(tc.el, alg)
				if err != nil {
					t.Fatal(err)
				}
				if got := childTags(t, doc); got != tc.want {
					t.Errorf("%q: children %s, want %s", alg, got, tc.want)
				}
				if out, ok := testutil.XMLSecVerify(t, doc, tc.xmlsec, certPEM); !ok {
					t.Errorf("%q: xmlsec1 rejects it:\n%s", alg, out)
				}
				allowed, err := SignatureMethods(alg)
				if err != nil {
					t.Fatal(err)
				}
				root, err := ReadUntrusted(doc, 0)
				if err != nil {
					t.Fatal(err)
				}
				v, err := Verify(root, tc.layout, Trust{Certs: []*x509.Certificate{c}, Algorithms: allowed, Now: ststest.FixedNow})
				if err != nil {
					t.Fatalf("%q: Verify: %v", alg, err)
				}
				if v.Cert != c || (alg == AlgRSASHA1) != (v.SignatureMethod == SigRSASHA1) {
					t.Errorf("%q: verified %+v", alg, v)
				}
				bad := []byte(strings.Replace(string(doc), "https://sts.acme.example/", "https://evil.example/", 1))
				if tc.el.Tag == "Doc" {
					bad = []byte(strings.Replace(string(doc), "a&#xD;", "x&#xD;", 1))
				}
				if string(bad) == string(doc) {
					t.Fatal("tamper target not found")
				}
				if out, ok := testutil.XMLSecVerify(t, bad, tc.xmlsec, certPEM); ok {
					t.Errorf("%q: xmlsec1 accepts a changed document:\n%s", alg, out)
				}
				root, err = ReadUntrusted(bad, 0)
				if err != nil {
					t.Fatal(err)
				}
				_, err = Verify(root, tc.layout, Trust{Certs: []*x509.Certificate{c}, Algorithms: allowed, IgnoreTime: true})
				var ve *VerifyError
				if !errors.As(err, &ve) || ve.Fault != FaultSignature {
					t.Errorf("%q: changed document: %v, want fault %s", alg, err, FaultSignature)
				}
			}
			if after, _ := etree.NewDocumentWithRoot(tc.el).WriteToString(); after != before {
				t.Error("Sign changed the element it was given")
			}
		})
	}
}

func TestSignerRefuses(t *testing.T) {
	k, c := ststest.LoadKeyPair(t, "signing")
	_, other := ststest.LoadKeyPair(t, "other")
	ok := Layout{Name: "doc", IDAttr: "ID", Place: PlaceLast}
	for name, f := range map[string]func() error{
		"no layout name":  func() error { _, err := NewSigner(k, c, Layout{IDAttr: "ID", Place: PlaceLast}); return err },
		"no ID attribute": func() error { _, err := NewSigner(k, c, Layout{Name: "doc", Place: PlaceLast}); return err },
		"no place":        func() error { _, err := NewSigner(k, c, Layout{Name: "doc", IDAttr: "ID"}); return err },
		"place after nothing": func() error {
			_, err := NewSigner(k, c, Layout{Name: "doc", IDAttr: "ID", Place: PlaceAfter})
			return err
		},
		"key and cert mismatch": func() error { _, err := NewSigner(k, other, ok); return err },
		"no certificate":        func() error { _, err := NewSigner(k, nil, ok); return err },
		"unknown algorithm": func() error {
			s, _ := NewSigner(k, c, ok)
			_, err := s.Sign(etree.NewElement("x"), "rsa-md5")
			return err
		},
		"no Issuer to sign after": func() error {
			s, err := NewSigner(k, c, Layout{Name: "response", IDAttr: "ID", Place: PlaceAfter, AfterNS: nsSAML2, AfterTag: "Issuer"})
			if err != nil {
				return nil
			}
			r := response()
			r.RemoveChild(r.SelectElement("saml:Issuer"))
			_, err = s.Sign(r, "")
			return err
		},
	} {
		if f() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestVerifyTrust: the KeyInfo certificate must be a trusted one, and
// valid (within skew) at the time asked.
func TestVerifyTrust(t *testing.T) {
	k, c := ststest.LoadKeyPair(t, "signing")
	_, other := ststest.LoadKeyPair(t, "other")
	l := Layout{Name: "response", IDAttr: "ID", Place: PlaceAfter, AfterNS: nsSAML2, AfterTag: "Issuer"}
	s, err := NewSigner(k, c, l)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := s.Sign(response(), "")
	if err != nil {
		t.Fatal(err)
	}
	root, err := ReadUntrusted(doc, 0)
	if err != nil {
		t.Fatal(err)
	}
	at := func(tm time.Time) func() time.Time { return func() time.Time { return tm } }
	for name, tc := range map[string]struct {
		tr    Trust
		fault Fault
	}{
		"another certificate":    {Trust{Certs: []*x509.Certificate{other}, IgnoreTime: true}, FaultUntrustedKey},
		"certificate expired":    {Trust{Certs: []*x509.Certificate{c}, Now: at(c.NotAfter.Add(time.Hour))}, FaultUntrustedKey},
		"before the certificate": {Trust{Certs: []*x509.Certificate{c}, Now: at(c.NotBefore.Add(-time.Hour))}, FaultUntrustedKey},
		"sha1 only":              {Trust{Certs: []*x509.Certificate{c}, Algorithms: []string{SigRSASHA1}, IgnoreTime: true}, FaultSignature},
	} {
		_, err := Verify(root, l, tc.tr)
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Fault != tc.fault {
			t.Errorf("%s: %v, want fault %s", name, err, tc.fault)
		}
	}
	if _, err := Verify(root, l, Trust{Certs: []*x509.Certificate{c}, Now: at(c.NotAfter.Add(time.Minute)), Skew: 5 * time.Minute}); err != nil {
		t.Errorf("inside the skew: %v", err)
	}
	if _, err := ReadUntrusted([]byte(`<!DOCTYPE x><x/>`), 0); !errors.Is(err, xmlsafe.ErrDeclaration) {
		t.Errorf("gate: %v", err)
	}
}
