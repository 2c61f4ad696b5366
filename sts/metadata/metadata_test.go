package metadata

import (
	"bytes"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts/xmlsafe"
)

func testMetadataConfig(t *testing.T) Config {
	k, c := loadKeyPair(t, "signing")
	_, next := loadKeyPair(t, "other") // a rolled-in next key, published but not signing
	return Config{
		EntityID:           testEntityID,
		Certificates:       []*x509.Certificate{c, next},
		Signer:             k,
		SigningCertificate: c,
		Now:                func() time.Time { return fixedNow },
		NewID:              func() string { return "_00000000-0000-4000-8000-0000000000md" },
		ValidFor:           7 * 24 * time.Hour,
		WSFed: &WSFedRole{
			PassiveEndpoint:              "https://sts.acme.example/wsfed",
			SecurityTokenServiceEndpoint: "https://sts.acme.example/wsfed",
			ClaimTypes:                   claims.Known(),
		},
	}
}

func buildTestMetadata(t *testing.T) []byte {
	t.Helper()
	md, err := Build(testMetadataConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	return md
}

func TestMetadataGoldenAndSignature(t *testing.T) {
	md := buildTestMetadata(t)
	golden(t, "metadata.xml", md)
	if out, ok := xmlsecVerify(t, md, xmlsecMetadataID, signingCert); !ok {
		t.Fatalf("xmlsec1 rejects the metadata:\n%s", out)
	}
	tampered := bytes.Replace(md, []byte("https://sts.acme.example/wsfed</wsa:Address></wsa:EndpointReference></fed:PassiveRequestorEndpoint>"),
		[]byte("https://evil.example/wsfed</wsa:Address></wsa:EndpointReference></fed:PassiveRequestorEndpoint>"), 1)
	if bytes.Equal(tampered, md) {
		t.Fatal("tamper target not found")
	}
	if out, ok := xmlsecVerify(t, tampered, xmlsecMetadataID, signingCert); ok {
		t.Errorf("xmlsec1 accepts tampered metadata:\n%s", out)
	}
	if out, ok := xmlsecVerify(t, md, xmlsecMetadataID, otherCert); ok {
		t.Errorf("xmlsec1 accepts the metadata with the wrong key:\n%s", out)
	}
}

func TestMetadataStructure(t *testing.T) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(buildTestMetadata(t)); err != nil {
		t.Fatal(err)
	}
	ed := doc.Root()
	if !xmlsafe.Is(ed, NSMetadata, "EntityDescriptor") || ed.SelectAttrValue("entityID", "") != testEntityID ||
		ed.SelectAttrValue("validUntil", "") != "2025-05-08T10:00:00.000Z" {
		t.Fatalf("EntityDescriptor attributes wrong: %v", ed.Attr)
	}
	kids := ed.ChildElements()
	if len(kids) != 2 || !xmlsafe.Is(kids[0], xmlsafe.NSDSig, "Signature") || !xmlsafe.Is(kids[1], NSMetadata, "RoleDescriptor") {
		t.Fatal("want ds:Signature first, then the RoleDescriptor")
	}
	if ki := kids[0].FindElement("KeyInfo/X509Data/X509Certificate"); ki == nil || ki.Text() != certB64(t, signingCert) {
		t.Error("signature KeyInfo must carry the signing certificate (AD FS ID3276 otherwise)")
	}
	rd := kids[1]
	if rd.SelectAttrValue("xsi:type", "") != "fed:SecurityTokenServiceType" ||
		rd.SelectAttrValue("xmlns:fed", "") != NSFederation || rd.SelectAttrValue("xmlns:xsi", "") != NSXSI {
		t.Error("RoleDescriptor must declare xsi and fed where xsi:type uses them")
	}
	var order []string
	for _, c := range rd.ChildElements() {
		if len(order) == 0 || order[len(order)-1] != c.Tag {
			order = append(order, c.Tag)
		}
	}
	if got := strings.Join(order, ","); got != "KeyDescriptor,TokenTypesOffered,ClaimTypesOffered,SecurityTokenServiceEndpoint,PassiveRequestorEndpoint" {
		t.Errorf("RoleDescriptor children %s", got)
	}
	if n := len(rd.SelectElements("KeyDescriptor")); n != 2 {
		t.Errorf("%d KeyDescriptors, want one per published certificate", n)
	}
	cts := rd.FindElements("ClaimTypesOffered/ClaimType")
	if len(cts) != len(claims.Known()) || cts[2].SelectAttrValue("Uri", "") != claims.PrimarySID ||
		cts[2].SelectAttrValue("Optional", "") != "true" || cts[2].FindElement("DisplayName").Text() != "Primary SID" {
		t.Error("ClaimTypesOffered wrong")
	}
}

func TestMetadataSchema(t *testing.T) {
	const driver = "wsfed-metadata-driver.xsd"
	md := buildTestMetadata(t)
	if out, ok := xmllintValidate(t, md, driver); !ok {
		t.Fatalf("metadata is not schema-valid:\n%s", out)
	}
	// These break only the fed:SecurityTokenServiceType content model, so
	// their failure proves xsi:type was resolved and validated strictly.
	sts := "<fed:SecurityTokenServiceEndpoint><wsa:EndpointReference xmlns:wsa=\"http://www.w3.org/2005/08/addressing\"><wsa:Address>https://sts.acme.example/wsfed</wsa:Address></wsa:EndpointReference></fed:SecurityTokenServiceEndpoint>"
	if !bytes.Contains(md, []byte(sts)) {
		t.Fatal("endpoint not found")
	}
	withoutSTS := bytes.Replace(md, []byte(sts), nil, 1)
	stsLast := bytes.Replace(withoutSTS, []byte("</md:RoleDescriptor>"), []byte(sts+"</md:RoleDescriptor>"), 1)
	tokenTypesLast := moveElement(t, md, "<fed:TokenTypesOffered>", "</fed:TokenTypesOffered>")
	unknownType := bytes.Replace(md, []byte(`xsi:type="fed:SecurityTokenServiceType"`), []byte(`xsi:type="fed:NoSuchType"`), 1)
	for name, bad := range map[string][]byte{
		"SecurityTokenServiceEndpoint missing (minOccurs=1)":      withoutSTS,
		"PassiveRequestorEndpoint before SecurityTokenService...": stsLast,
		"TokenTypesOffered after the endpoints":                   tokenTypesLast,
		"xsi:type that does not resolve":                          unknownType,
	} {
		out, ok := xmllintValidate(t, bad, driver)
		// The error must come from the WS-Fed part of the schema, not from
		// some unrelated breakage of the test document.
		if ok || !strings.Contains(out, "Schemas validity error") || !strings.Contains(out, "federation/200706") {
			t.Errorf("%s: want a WS-Fed schema validity error, got ok=%v:\n%s", name, ok, out)
		}
	}
}

// moveElement cuts the first start..end span and reinserts it just before
// </md:RoleDescriptor>.
func moveElement(t *testing.T, doc []byte, start, end string) []byte {
	t.Helper()
	s := string(doc)
	i, j := strings.Index(s, start), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("%s not found", start)
	}
	el := s[i : j+len(end)]
	s = s[:i] + s[j+len(end):]
	return []byte(strings.Replace(s, "</md:RoleDescriptor>", el+"</md:RoleDescriptor>", 1))
}

func TestMetadataConfigErrors(t *testing.T) {
	for name, mut := range map[string]func(*Config){
		"no entity ID":             func(c *Config) { c.EntityID = "" },
		"no passive endpoint":      func(c *Config) { c.WSFed.PassiveEndpoint = "" },
		"no certificates":          func(c *Config) { c.Certificates = nil },
		"no signer":                func(c *Config) { c.Signer = nil },
		"signing cert unpublished": func(c *Config) { c.Certificates = c.Certificates[1:] },
		"bad ID":                   func(c *Config) { c.NewID = func() string { return "1abc" } },
		"control char":             func(c *Config) { c.WSFed.ClaimTypes = []claims.TypeInfo{{URI: "http://x/\x02"}} },
	} {
		cfg := testMetadataConfig(t)
		mut(&cfg)
		if _, err := Build(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
