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
			// AD FS is recognised by its WS-Federation roles and gets the
			// AES-CBC its .NET decryption knows.
			if !sp.ADFS || sp.EncryptionMethod != EncAES256CBC {
				t.Errorf("ADFS %v, EncryptionMethod %q; want true, %q", sp.ADFS, sp.EncryptionMethod, EncAES256CBC)
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

// TestEncryptionChoice: which content algorithm an SP from metadata gets.
// The SP's md:EncryptionMethod list decides when it names one we
// implement; otherwise AES-256-GCM, except for AD FS (recognised by its
// fed:SecurityTokenServiceType or fed:ApplicationServiceType
// RoleDescriptor), which gets AES-256-CBC. The Response is encrypted with
// what was chosen.
func TestEncryptionChoice(t *testing.T) {
	adfs := readFixture(t, "adfs-v4-metadata.xml")
	encKD := []byte(`<KeyDescriptor use="encryption"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#">`)
	gcmListed := bytes.Replace(adfs, []byte(`</KeyInfo></KeyDescriptor><KeyDescriptor use="signing">`),
		[]byte(`</KeyInfo><EncryptionMethod Algorithm="`+EncMethodAES256GCM+`"/></KeyDescriptor><KeyDescriptor use="signing">`), 1)
	if !bytes.Contains(adfs, encKD) || bytes.Equal(gcmListed, adfs) {
		t.Fatal("fixture edit target not found")
	}
	// role is a RoleDescriptor beside a SAML-only SP's SPSSODescriptor.
	role := func(xsiType, fedNS string) string {
		if xsiType == "" {
			return ""
		}
		return `<md:RoleDescriptor xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="` + fedNS + `" xsi:type="` + xsiType +
			`" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706"/>`
	}
	samlSP := func(t *testing.T, rd, methods string) []byte {
		return []byte(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example/">` + rd +
			`<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
			`<md:KeyDescriptor use="encryption">` + keyInfoXML(t) + methods + `</md:KeyDescriptor>` + acsXML(0, "", "https://sp.example/acs") +
			`</md:SPSSODescriptor></md:EntityDescriptor>`)
	}
	const fed = "http://docs.oasis-open.org/wsfed/federation/200706"
	for name, tc := range map[string]struct {
		doc     func(t *testing.T) []byte
		adfs    bool
		method  string // SP.EncryptionMethod
		wantURI string // in the Response
	}{
		"AD FS, no list":        {func(*testing.T) []byte { return adfs }, true, EncAES256CBC, EncMethodAES256CBC},
		"AD FS listing GCM":     {func(*testing.T) []byte { return gcmListed }, true, EncAES256GCM, EncMethodAES256GCM},
		"SAML-only SP, no list": {func(t *testing.T) []byte { return samlSP(t, "", "") }, false, "", EncMethodAES256GCM},
		"SAML-only SP listing 128-CBC": {func(t *testing.T) []byte {
			return samlSP(t, "", `<md:EncryptionMethod Algorithm="`+EncMethodAES128CBC+`"/>`)
		}, false, EncAES128CBC, EncMethodAES128CBC},
		"STS role only":         {func(t *testing.T) []byte { return samlSP(t, role("fed:SecurityTokenServiceType", fed), "") }, true, EncAES256CBC, EncMethodAES256CBC},
		"application role only": {func(t *testing.T) []byte { return samlSP(t, role("fed:ApplicationServiceType", fed), "") }, true, EncAES256CBC, EncMethodAES256CBC},
		"fed prefix of another namespace": {func(t *testing.T) []byte {
			return samlSP(t, role("fed:SecurityTokenServiceType", "urn:example:not-wsfed"), "")
		}, false, "", EncMethodAES256GCM},
		"another WS-Fed role": {func(t *testing.T) []byte { return samlSP(t, role("fed:AttributeServiceType", fed), "") }, false, "", EncMethodAES256GCM},
	} {
		t.Run(name, func(t *testing.T) {
			sp, err := SPFromMetadata(tc.doc(t), MetadataOptions{InsecureAllowUnsigned: true, Now: fixedNow})
			if err != nil {
				t.Fatal(err)
			}
			if sp.ADFS != tc.adfs || sp.EncryptionMethod != tc.method {
				t.Fatalf("ADFS %v, EncryptionMethod %q; want %v, %q", sp.ADFS, sp.EncryptionMethod, tc.adfs, tc.method)
			}
			sp.EncryptAssertions = true
			req := strings.Replace(authnRequestXML("", adfsNameIDPolicy), spEntityID, sp.EntityID, 1)
			r, err := ParseRedirect(redirectQuery(t, req, "", nil, ""), SPList{*sp}, parseOpts())
			if err != nil {
				t.Fatal(err)
			}
			resp, err := testIdP(t).Respond(testInput(r))
			if err != nil {
				t.Fatal(err)
			}
			if n := bytes.Count(resp.XML, []byte(`<xenc:EncryptionMethod Algorithm="`+tc.wantURI+`"`)); n != 1 {
				t.Errorf("%d EncryptedData with %s in\n%s", n, tc.wantURI, resp.XML)
			}
		})
	}
}
