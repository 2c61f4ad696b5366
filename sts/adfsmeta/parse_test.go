package adfsmeta

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/certs"
)

// The three fixtures are real AD FS 2.0 / 2012 R2 / 2016 metadata; provenance and
// thumbprints are in testdata/FIXTURES-README.md.
var fixtures = []struct {
	file, entityID, passive, signSHA1, signSHA256, signCN, encCN, encSHA1Prefix, expired string
}{
	{"adfs-v2-metadata.xml", "http://fs.msidlab7.com/adfs/services/trust", "https://fs.msidlab7.com/adfs/ls/",
		"28D1BE71EBAB715A8F53CB9FD9D84C4373CD3708", "78:6C:EC:26:40:FD:3F:18:8B:B5:08:14:51:7E:11:40:30:55:00:B8:25:57:34:5F:41:BB:E4:9C:21:E8:A5:F9",
		"CN=ADFS Signing - fs.msidlab7.com", "CN=ADFS Encryption - fs.msidlab7.com", "7C72CBF5", "2017-12-03"},
	{"adfs-v3-metadata.xml", "http://fs.msidlab2.com/adfs/services/trust", "https://fs.msidlab2.com/adfs/ls/",
		"8C3B60F1C93FA3E52AFD41885E7B6C6C4A61C65A", "69:D3:5D:8C:CE:33:5B:A5:87:64:49:73:20:42:28:3D:4C:A8:B4:33:54:A2:C2:0A:E3:BB:FE:DB:06:EC:B1:6C",
		"CN=ADFS Signing - fs.msidlab2.com", "CN=ADFS Encryption - fs.msidlab2.com", "03EA0A1F", "2018-03-13"},
	{"adfs-v4-metadata.xml", "http://fs.msidlab11.com/adfs/services/trust", "https://fs.msidlab11.com/adfs/ls/",
		"D5FE73910389B58BBB3B0EBB87FDF110FF79FEBB", "A8:A9:86:37:D4:51:36:76:8C:F8:12:76:CB:CC:CD:58:DB:BF:FB:2E:8C:75:77:1F:01:CB:16:DC:4D:2E:42:35",
		"CN=ADFS Signing - fs.msidlab11.com", "CN=ADFS Encryption - fs.msidlab11.com", "5CC6722B", "2018-01-23"},
}

var testNow = func() time.Time { return time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC) }

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readPEM(t testing.TB, name string) *x509.Certificate {
	t.Helper()
	blk, _ := pem.Decode(readFixture(t, name))
	if blk == nil {
		t.Fatalf("%s: no PEM", name)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRealADFSMetadata(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.file, func(t *testing.T) {
			doc := readFixture(t, f.file)
			for name, pin := range map[string]string{"sha1": f.signSHA1, "sha256-colons": f.signSHA256, "sha1-lower": strings.ToLower(f.signSHA1)} {
				md, err := Parse(doc, Options{PinnedThumbprints: []string{pin}, Now: testNow})
				if err != nil {
					t.Fatalf("%s pin: %v", name, err)
				}
				if md.EntityID != f.entityID {
					t.Errorf("EntityID = %q, want %q", md.EntityID, f.entityID)
				}
				if md.PassiveEndpoint != f.passive {
					t.Errorf("PassiveEndpoint = %q, want %q", md.PassiveEndpoint, f.passive)
				}
				if len(md.SigningCerts) != 1 || certs.ThumbprintSHA1(md.SigningCerts[0]) != f.signSHA1 || md.SigningCerts[0].Subject.String() != f.signCN {
					t.Errorf("SigningCerts = %v", md.SigningCerts)
				}
				if md.SignedBy == nil || certs.ThumbprintSHA1(md.SignedBy) != f.signSHA1 {
					t.Errorf("SignedBy = %v", md.SignedBy)
				}
				if md.EncryptionCert == nil || md.EncryptionCert.Subject.String() != f.encCN || !strings.HasPrefix(certs.ThumbprintSHA1(md.EncryptionCert), f.encSHA1Prefix) {
					t.Errorf("EncryptionCert = %v", md.EncryptionCert)
				}
				want := []Endpoint{
					{"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", f.passive, 0, true},
					{"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact", f.passive, 1, false},
					{"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect", f.passive, 2, false},
				}
				if len(md.AssertionConsumerServices) != 3 {
					t.Fatalf("ACS = %+v", md.AssertionConsumerServices)
				}
				for i, w := range want {
					if md.AssertionConsumerServices[i] != w {
						t.Errorf("ACS[%d] = %+v, want %+v", i, md.AssertionConsumerServices[i], w)
					}
				}
				if acs := md.DefaultACS(); acs == nil || acs.Index != 0 {
					t.Errorf("DefaultACS = %+v", acs)
				}
				wantWarn := "signing certificate " + f.signCN + " expired " + f.expired
				if !containsString(md.Warnings, wantWarn) {
					t.Errorf("warnings %q lack %q", md.Warnings, wantWarn)
				}
			}
		})
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestTrustedCertInsteadOfPin(t *testing.T) {
	doc := readFixture(t, "adfs-v4-metadata.xml")
	if _, err := Parse(doc, Options{TrustedCerts: []*x509.Certificate{readPEM(t, "certs/adfs-v4-signing.pem")}, Now: testNow}); err != nil {
		t.Fatal(err)
	}
	// The v3 certificate is a valid certificate but not the v4 signer.
	_, err := Parse(doc, Options{TrustedCerts: []*x509.Certificate{readPEM(t, "certs/adfs-v3-signing.pem")}, Now: testNow})
	if err == nil || !strings.Contains(err.Error(), "neither pinned nor trusted") {
		t.Fatalf("err = %v", err)
	}
}

func TestRefusals(t *testing.T) {
	v4 := readFixture(t, "adfs-v4-metadata.xml")
	pin := Options{PinnedThumbprints: []string{fixtures[2].signSHA1}, Now: testNow}

	// One changed byte inside signed content: the passive endpoint host.
	i := bytes.Index(v4, []byte("https://fs.msidlab11.com/adfs/ls/"))
	if i < 0 {
		t.Fatal("fixture changed")
	}
	tampered := bytes.Clone(v4)
	tampered[i+len("https://fs.msidlab1")] = '2'

	doctype := append([]byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]>`), v4...)
	// Exclusive C14N drops comments, so this one leaves the signature valid:
	// the old gate, which skipped comments, let it through.
	comment := bytes.Replace(v4, []byte("fs.msidlab11.com/adfs/ls/"), []byte("fs.msidlab11.com/adfs/<!---->ls/"), 1)
	oversized := bytes.Clone(v4)

	unsigned := []byte(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" ID="_x" entityID="http://evil/adfs/services/trust"></EntityDescriptor>`)

	cases := []struct {
		name string
		doc  []byte
		opts Options
		want string
		is   error
	}{
		{"one changed byte", tampered, pin, "signature does not verify", nil},
		{"wrong pin (v3 signer pinned)", v4, Options{PinnedThumbprints: []string{fixtures[1].signSHA1}, Now: testNow}, "neither pinned nor trusted", nil},
		{"no pin at all", v4, Options{Now: testNow}, "neither pinned nor trusted", nil},
		{"doctype", doctype, pin, "", ErrDeclaration},
		{"comment inside signed text", comment, pin, "", ErrDeclaration},
		{"oversized", oversized, Options{PinnedThumbprints: pin.PinnedThumbprints, MaxBytes: int64(len(v4) - 1)}, "", ErrTooLarge},
		{"unsigned", unsigned, pin, "not signed", nil},
		{"malformed pin", v4, Options{PinnedThumbprints: []string{"xyz"}}, "want 40", nil},
		{"aggregate", []byte(`<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"/>`), pin, "aggregates", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			md, err := Parse(c.doc, c.opts)
			if err == nil {
				t.Fatalf("accepted: %+v", md)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Fatalf("err = %v, want %v", err, c.is)
			}
			if c.want != "" && !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestInsecureOptions(t *testing.T) {
	v4 := readFixture(t, "adfs-v4-metadata.xml")
	md, err := Parse(v4, Options{InsecureTrustOnFirstUse: true, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(md.Warnings, "\n"), "trusted on first use (pin SHA-256 "+strings.ReplaceAll(fixtures[2].signSHA256, ":", "")) {
		t.Errorf("warnings = %q", md.Warnings)
	}
	// Trust on first use still requires a valid signature.
	tampered := bytes.Replace(v4, []byte("fs.msidlab11.com/adfs/ls/"), []byte("fs.msidlab12.com/adfs/ls/"), 1)
	if _, err := Parse(tampered, Options{InsecureTrustOnFirstUse: true, Now: testNow}); err == nil {
		t.Fatal("tampered document accepted on first use")
	}

	unsigned := readFixture(t, "adfs-v2-metadata.xml")
	start := bytes.Index(unsigned, []byte("<Signature "))
	end := bytes.Index(unsigned, []byte("</Signature>")) + len("</Signature>")
	if start < 0 || end < start {
		t.Fatal("fixture changed")
	}
	unsigned = append(bytes.Clone(unsigned[:start]), unsigned[end:]...)
	if _, err := Parse(unsigned, Options{Now: testNow, PinnedThumbprints: []string{fixtures[0].signSHA1}}); err == nil {
		t.Fatal("unsigned accepted without InsecureAllowUnsigned")
	}
	md, err = Parse(unsigned, Options{Now: testNow, InsecureAllowUnsigned: true})
	if err != nil {
		t.Fatal(err)
	}
	if md.SignedBy != nil || md.EntityID != fixtures[0].entityID || !strings.Contains(md.Warnings[0], "not signed") {
		t.Errorf("md = %+v", md)
	}
}

func BenchmarkParseV4(b *testing.B) {
	doc := readFixture(b, "adfs-v4-metadata.xml")
	opts := Options{PinnedThumbprints: []string{fixtures[2].signSHA1}, Now: testNow}
	for b.Loop() {
		if _, err := Parse(doc, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNoKeyInfoTriesEveryTrustedCert: metadata whose signature carries no
// KeyInfo verifies against any of the trusted certificates (during a
// rollover the trust holds two), and against none that did not sign it.
func TestNoKeyInfoTriesEveryTrustedCert(t *testing.T) {
	doc := string(readFixture(t, "adfs-v4-metadata.xml"))
	start := strings.Index(doc, `<KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#">`)
	end := strings.Index(doc[start:], "</KeyInfo>")
	if start < 0 || end < 0 || start > strings.Index(doc, "</ds:Signature>") {
		t.Fatal("no KeyInfo in the fixture's signature")
	}
	stripped := []byte(doc[:start] + doc[start+end+len("</KeyInfo>"):])
	v3, v4 := readPEM(t, "certs/adfs-v3-signing.pem"), readPEM(t, "certs/adfs-v4-signing.pem")
	md, err := Parse(stripped, Options{TrustedCerts: []*x509.Certificate{v3, v4}, Now: testNow})
	if err != nil {
		t.Fatalf("rollover pair [v3, v4]: %v", err)
	}
	if !md.SignedBy.Equal(v4) {
		t.Errorf("signed by %s, want the v4 certificate", md.SignedBy.Subject)
	}
	if _, err := Parse(stripped, Options{TrustedCerts: []*x509.Certificate{v3}, Now: testNow}); err == nil {
		t.Fatal("verified with a certificate that did not sign it")
	}
}
