package saml2

import (
	"bytes"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/sts/internal/ststest"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "adfs", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSPFromADFSMetadata: the SPSSODescriptor of real AD FS 2.0, 2012 R2
// and 2016 metadata becomes an SP that answers AD FS's own request at
// /adfs/ls/ (index 0), with its signing and encryption certificates.
func TestSPFromADFSMetadata(t *testing.T) {
	for v, host := range map[string]string{"2": "fs.msidlab7.com", "3": "fs.msidlab2.com", "4": "fs.msidlab11.com"} {
		t.Run("v"+v, func(t *testing.T) {
			doc := readFixture(t, "adfs-v"+v+"-metadata.xml")
			signer := ststest.LoadCert(t, filepath.Join("testdata", "adfs", "certs", "adfs-v"+v+"-signing.pem"))
			sp, err := SPFromMetadata(doc, MetadataOptions{TrustedCerts: []*x509.Certificate{signer}})
			if err != nil {
				t.Fatal(err)
			}
			ls := "https://" + host + "/adfs/ls/"
			if sp.EntityID != "http://"+host+"/adfs/services/trust" || !sp.WantAssertionsSigned || sp.AuthnRequestsSigned || sp.NameIDFormat != "" {
				t.Errorf("SP %+v", sp)
			}
			if d := sp.DefaultACS(); d == nil || d.Location != ls || d.Index != 0 || !d.IsDefault || len(sp.ACS) != 3 {
				t.Errorf("ACS %+v", sp.ACS)
			}
			if len(sp.SLO) != 2 || sp.sloFor(BindingPOST) == nil || sp.sloFor(BindingPOST).Location != ls {
				t.Errorf("SLO %+v", sp.SLO)
			}
			if len(sp.SigningCerts) != 1 || !sp.SigningCerts[0].Equal(signer) || sp.EncryptionCert == nil ||
				sp.EncryptionCert.Subject.CommonName != "ADFS Encryption - "+host {
				t.Errorf("certificates: %d signing, encryption %v", len(sp.SigningCerts), sp.EncryptionCert)
			}
			// The request AD FS sends is answered at its default ACS.
			r, err := ParseRedirect(redirectQuery(t, strings.Replace(authnRequestXML("", adfsNameIDPolicy), spEntityID, sp.EntityID, 1), relayState, nil, ""),
				SPList{*sp}, parseOpts())
			if err != nil || r.ACS.Location != ls {
				t.Errorf("AD FS request: %v %+v", err, r)
			}
		})
	}
}

func TestSPFromMetadataRefuses(t *testing.T) {
	doc := readFixture(t, "adfs-v4-metadata.xml")
	signer := ststest.LoadCert(t, filepath.Join("testdata", "adfs", "certs", "adfs-v4-signing.pem"))
	other := ststest.LoadCert(t, filepath.Join("testdata", "adfs", "certs", "adfs-v3-signing.pem"))
	tampered := bytes.Replace(doc, []byte(`Location="https://fs.msidlab11.com/adfs/ls/" index="0"`), []byte(`Location="https://evil.example/adfs/ls/" index="0"`), 1)
	if bytes.Equal(tampered, doc) {
		t.Fatal("tamper target not found")
	}
	for name, tc := range map[string]struct {
		doc  []byte
		opts MetadataOptions
	}{
		"changed ACS":        {tampered, MetadataOptions{TrustedCerts: []*x509.Certificate{signer}}},
		"another signer":     {doc, MetadataOptions{TrustedCerts: []*x509.Certificate{other}}},
		"no trust":           {doc, MetadataOptions{}},
		"too large":          {doc, MetadataOptions{TrustedCerts: []*x509.Certificate{signer}, MaxBytes: 1000}},
		"DOCTYPE":            {append([]byte("<!DOCTYPE x>"), doc...), MetadataOptions{InsecureAllowUnsigned: true}},
		"no SPSSODescriptor": {[]byte(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>`), MetadataOptions{InsecureAllowUnsigned: true}},
		"aggregate":          {[]byte(`<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"/>`), MetadataOptions{InsecureAllowUnsigned: true}},
	} {
		if _, err := SPFromMetadata(tc.doc, tc.opts); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if sp, err := SPFromMetadata(tampered, MetadataOptions{InsecureAllowUnsigned: true}); err != nil || sp.DefaultACS().Location != "https://evil.example/adfs/ls/" {
		t.Errorf("InsecureAllowUnsigned reads the document as is: %v", err)
	}
}

func bytesReplace(s, old, new string) string {
	return string(bytes.Replace([]byte(s), []byte(old), []byte(new), 1))
}
