package metadata

import (
	"bytes"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/adfsmeta"
	"github.com/claimgate/claimgate/sts/saml2"
	"github.com/claimgate/claimgate/sts/xmlsafe"
)

func testSAML2Config(t *testing.T) Config {
	cfg := testMetadataConfig(t)
	cfg.SAML2 = &SAML2IdPRole{
		SSORedirect: "https://sts.acme.example/saml2/sso", SSOPOST: "https://sts.acme.example/saml2/sso",
		SLORedirect: "https://sts.acme.example/saml2/slo", SLOPOST: "https://sts.acme.example/saml2/slo",
		WantAuthnRequestsSigned: true,
	}
	return cfg
}

// TestSAML2MetadataGolden: the EntityDescriptor with both roles is
// byte-stable, signed (xmlsec1), valid against the OASIS metadata and
// WS-Fed schemas, and read back by the AD FS-metadata parser, which finds
// every published signing certificate.
func TestSAML2MetadataGolden(t *testing.T) {
	md, err := Build(testSAML2Config(t))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "metadata-saml2.xml", md)
	if out, ok := xmlsecVerify(t, md, xmlsecMetadataID, signingCert); !ok {
		t.Fatalf("xmlsec1 rejects the metadata:\n%s", out)
	}
	tampered := bytes.Replace(md, []byte(`Location="https://sts.acme.example/saml2/sso"`), []byte(`Location="https://evil.example/saml2/sso"`), 1)
	if bytes.Equal(tampered, md) {
		t.Fatal("tamper target not found")
	}
	if out, ok := xmlsecVerify(t, tampered, xmlsecMetadataID, signingCert); ok {
		t.Errorf("xmlsec1 accepts a changed SSO URL:\n%s", out)
	}
	if out, ok := xmllintValidate(t, md, "wsfed-metadata-driver.xsd"); !ok {
		t.Fatalf("not schema-valid:\n%s", out)
	}
	_, c := loadKeyPair(t, "signing")
	parsed, err := adfsmeta.Parse(md, adfsmeta.Options{TrustedCerts: []*x509.Certificate{c}, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatalf("adfsmeta cannot read it: %v", err)
	}
	if parsed.EntityID != testEntityID || len(parsed.SigningCerts) != 2 || parsed.PassiveEndpoint != "https://sts.acme.example/wsfed" ||
		parsed.SignedBy == nil || !parsed.SignedBy.Equal(c) {
		t.Errorf("adfsmeta read %+v", parsed)
	}

	d := etree.NewDocument()
	if err := d.ReadFromBytes(md); err != nil {
		t.Fatal(err)
	}
	kids := d.Root().ChildElements()
	if len(kids) != 3 || !xmlsafe.Is(kids[1], NSMetadata, "RoleDescriptor") || !xmlsafe.Is(kids[2], NSMetadata, "IDPSSODescriptor") {
		t.Fatal("want ds:Signature, the WS-Fed RoleDescriptor, then the IDPSSODescriptor")
	}
	idp := kids[2]
	if idp.SelectAttrValue("protocolSupportEnumeration", "") != saml2.NSProtocol || idp.SelectAttrValue("WantAuthnRequestsSigned", "") != "true" {
		t.Errorf("IDPSSODescriptor attributes %v", idp.Attr)
	}
	var order []string
	for _, k := range idp.ChildElements() {
		tag := k.Tag
		if tag == "KeyDescriptor" {
			tag += "/" + k.SelectAttrValue("use", "")
		}
		order = append(order, tag)
	}
	// No use="encryption" key: claimgate cannot decrypt an EncryptedID
	// yet, so it must not invite SPs to encrypt to it.
	want := "KeyDescriptor/signing,KeyDescriptor/signing,SingleLogoutService,SingleLogoutService," +
		"NameIDFormat,NameIDFormat,NameIDFormat,NameIDFormat,SingleSignOnService,SingleSignOnService"
	if got := strings.Join(order, ","); got != want {
		t.Errorf("IDPSSODescriptor children\n got %s\nwant %s", got, want)
	}
}

// TestSAML2MetadataSchemaOrder: the schema check can fail: a
// NameIDFormat after SingleSignOnService, or no SingleSignOnService, is
// refused by xmllint (so the valid result above means something).
func TestSAML2MetadataSchemaOrder(t *testing.T) {
	cfg := testSAML2Config(t)
	cfg.WSFed = nil
	md, err := Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const schema = "saml-schema-metadata-2.0.xsd"
	if out, ok := xmllintValidate(t, md, schema); !ok {
		t.Fatalf("SAML 2.0 only metadata is not schema-valid:\n%s", out)
	}
	s := string(md)
	nf := "<md:NameIDFormat>" + saml2.NameIDTransient + "</md:NameIDFormat>"
	sso := `<md:SingleSignOnService Binding="` + saml2.BindingPOST + `" Location="https://sts.acme.example/saml2/sso"></md:SingleSignOnService>`
	if !strings.Contains(s, nf) || !strings.Contains(s, sso) {
		t.Fatal("elements not found")
	}
	late := strings.Replace(strings.Replace(s, nf, "", 1), "</md:IDPSSODescriptor>", nf+"</md:IDPSSODescriptor>", 1)
	noSSO := cutAll(s, "<md:SingleSignOnService ", "</md:SingleSignOnService>")
	for name, bad := range map[string]string{"NameIDFormat last": late, "no SingleSignOnService": noSSO} {
		if out, ok := xmllintValidate(t, []byte(bad), schema); ok || !strings.Contains(out, "Schemas validity error") || !strings.Contains(out, "SingleSignOnService") {
			t.Errorf("%s: want a schema error naming SingleSignOnService, got ok=%v:\n%s", name, ok, out)
		}
	}
}

func TestSAML2MetadataConfigErrors(t *testing.T) {
	for name, mut := range map[string]func(*Config){
		"no SSO URL":     func(c *Config) { c.SAML2.SSORedirect, c.SAML2.SSOPOST = "", "" },
		"relative URL":   func(c *Config) { c.SAML2.SLOPOST = "/slo" },
		"unknown format": func(c *Config) { c.SAML2.NameIDFormats = []string{"urn:x"} },
		"nil encryption": func(c *Config) { c.SAML2.EncryptionCertificates = []*x509.Certificate{nil} },
		"encryption key": func(c *Config) {
			_, enc := loadKeyPair(t, "other")
			c.SAML2.EncryptionCertificates = []*x509.Certificate{enc}
		},
		"no role":             func(c *Config) { c.SAML2, c.WSFed = nil, nil },
		"control char in URL": func(c *Config) { c.SAML2.SSOPOST = "https://sts.acme.example/\x01" },
	} {
		cfg := testSAML2Config(t)
		mut(&cfg)
		if _, err := Build(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// cutAll cuts every start..end span out of s.
func cutAll(s, start, end string) string {
	for {
		i := strings.Index(s, start)
		if i < 0 {
			return s
		}
		j := strings.Index(s[i:], end)
		s = s[:i] + s[i+j+len(end):]
	}
}
