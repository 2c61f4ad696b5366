package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/sts/saml2"
)

const thumb = "A1B2C3D4E5F60718293A4B5C6D7E8F9001122334"

// TestSAML2Section: a section with a hand-made SP and one from metadata
// loads with short NameID formats expanded, paths resolved and the
// signature algorithm inherited; the endpoints sit under base_url.
func TestSAML2Section(t *testing.T) {
	c := mustLoad(t, minimal+`saml2:
  enabled: true
  persistent_id_key: `+testKey+`
  service_providers:
    - name: adfs
      entity_id: http://adfs.example.com/adfs/services/trust
      acs_url: https://adfs.example.com/adfs/ls/
      slo_url: https://adfs.example.com/adfs/ls/
      signing_cert: adfs-signing.pem
      authn_requests_signed: true
      name_id_format: persistent
    - name: shib
      metadata: {file: shib.xml, signing_thumbprints: ['`+strings.ToLower(thumb)+`']}
      encryption: true
      encryption_method: aes128-cbc
      name_id_format: email
      sign_response: true
      signature_algorithm: rsa-sha1
`, nil)
	s := c.SAML2
	if !s.Enabled || s.WantAuthnRequestsSigned || len(s.ServiceProviders) != 2 {
		t.Fatalf("saml2 %+v", s)
	}
	a, b := s.ServiceProviders[0], s.ServiceProviders[1]
	dir := filepath.Dir(c.Directory.UsersFile.Path)
	if a.NameIDFormat != saml2.NameIDPersistent || a.SigningCert != filepath.Join(dir, "adfs-signing.pem") || !a.AuthnRequestsSigned ||
		a.SignatureAlgorithm != AlgRSASHA256 || a.SLOURL != "https://adfs.example.com/adfs/ls/" {
		t.Errorf("adfs %+v", a)
	}
	if b.NameIDFormat != saml2.NameIDEmailAddress || b.Metadata == nil || b.Metadata.File != filepath.Join(dir, "shib.xml") ||
		b.Metadata.SigningThumbprints[0] != thumb || !b.Encryption || b.EncryptionMethod != saml2.EncAES128CBC || !b.SignResponse || b.SignatureAlgorithm != AlgRSASHA1 {
		t.Errorf("shib %+v %+v", b, b.Metadata)
	}
	if k, err := s.PersistentKey(); err != nil || len(k) != 32 {
		t.Errorf("persistent key: %d bytes, %v", len(k), err)
	}
	if c.SAML2SSOURL() != "https://sts.example.com/saml2/sso" || c.SAML2SLOURL() != "https://sts.example.com/saml2/slo" {
		t.Errorf("endpoints %s %s", c.SAML2SSOURL(), c.SAML2SLOURL())
	}
	if f := s.NameIDFormats(); len(f) != 4 {
		t.Errorf("formats with a key: %q", f)
	}
	if f := (SAML2{}).NameIDFormats(); len(f) != 3 || strings.Contains(strings.Join(f, " "), "persistent") {
		t.Errorf("formats without a key: %q", f)
	}
	var missing []string
	for _, p := range c.CheckFiles() {
		missing = append(missing, p.Path)
	}
	for _, want := range []string{"saml2.service_providers[0].signing_cert", "saml2.service_providers[1].metadata.file"} {
		if !strings.Contains(strings.Join(missing, " "), want) {
			t.Errorf("CheckFiles %q lacks %s", missing, want)
		}
	}
}

// TestSAML2Off: no section, or one switched off, changes nothing and is
// not validated.
func TestSAML2Off(t *testing.T) {
	if c := mustLoad(t, minimal, nil); c.SAML2.Enabled || len(c.SAML2.ServiceProviders) != 0 {
		t.Errorf("saml2 without a section: %+v", c.SAML2)
	}
	mustLoad(t, minimal+"saml2: {enabled: false, service_providers: [{name: x}]}\n", nil)
}

// TestSAML2Problems: every problem of the section at once, each at its path.
func TestSAML2Problems(t *testing.T) {
	_, err := Load(writeConfig(t, minimal+`saml2:
  enabled: true
  want_authn_requests_signed: true
  persistent_id_key: short
  service_providers:
    - entity_id: not a uri
      acs_url: http://adfs.example.com/adfs/ls/
      name_id_format: kerberos
      encryption: true
      encryption_method: des
      signature_algorithm: md5
    - name: b
      entity_id: http://adfs.example.com/adfs/services/trust
      metadata: {url: 'https://adfs.example.com/md.xml'}
      acs_url: https://adfs.example.com/adfs/ls/
      signing_cert: b.pem
    - name: b
      entity_id: http://adfs.example.com/adfs/services/trust
      acs_url: https://adfs.example.com/adfs/ls/
      signing_cert: c.pem
      name_id_format: persistent
      nonsense: 1
`), nil)
	ps := problemsOf(t, err)
	for _, w := range []struct{ path, frag string }{
		{"saml2.persistent_id_key", "32 bytes"},
		{"saml2.service_providers[0].name", "required"},
		{"saml2.service_providers[0].entity_id", "absolute URI"},
		{"saml2.service_providers[0].acs_url", "https"},
		{"saml2.service_providers[0].name_id_format", "one of"},
		{"saml2.service_providers[0].encryption", "needs metadata"},
		{"saml2.service_providers[0].signing_cert", "required"},
		{"saml2.service_providers[0].signature_algorithm", "rsa-sha256"},
		{"saml2.service_providers[0].encryption_method", "must be aes256-cbc, aes128-cbc or aes256-gcm"},
		{"saml2.service_providers[1].metadata.signing_thumbprints", "required"},
		{"saml2.service_providers[1].acs_url", "not both"},
		{"saml2.service_providers[1].signing_cert", "not both"},
		{"saml2.service_providers[2].name", "also the name"},
		{"saml2.service_providers[2].entity_id", "also the entity_id"},
	} {
		if !hasProblem(ps, w.path, w.frag) {
			t.Errorf("no %s: %s in\n%v", w.path, w.frag, ps)
		}
	}
	if !strings.Contains(err.Error(), "nonsense") {
		t.Errorf("unknown key not reported: %v", err)
	}
	if _, err := Load(writeConfig(t, minimal+"saml2: {enabled: true}\n"), nil); err == nil ||
		!hasProblem(problemsOf(t, err), "saml2.service_providers", "at least one") {
		t.Errorf("enabled without SPs: %v", err)
	}
}

// TestSAML2MetadataURL: an SP's metadata may come from an https URL, with
// the rules and messages of relying_parties[].metadata: exactly one of url
// and file, https only, refresh_interval (default 1h, at least 1m, for a
// url only), thumbprints normalised and required unless
// insecure_allow_unsigned is set. A URL is no file for CheckFiles.
func TestSAML2MetadataURL(t *testing.T) {
	const sp = "saml2:\n  enabled: true\n  service_providers:\n    - name: adfs\n      metadata: "
	c := mustLoad(t, minimal+sp+`{url: 'https://adfs.example.com/FederationMetadata/2007-06/FederationMetadata.xml', signing_thumbprints: ['5a:1f:0b:6c:3e:7d:9a:2b:4c:6e:8f:0a:1b:3c:5d:7e:9f:1a:2b:3c']}
    - name: shib
      metadata: {url: 'https://sp.example.com/Shibboleth.sso/Metadata', refresh_interval: 15m, insecure_allow_unsigned: true}
`, nil)
	a, b := c.SAML2.ServiceProviders[0].Metadata, c.SAML2.ServiceProviders[1].Metadata
	if a.URL != "https://adfs.example.com/FederationMetadata/2007-06/FederationMetadata.xml" || a.File != "" || a.RefreshInterval != DefaultMetadataRefresh ||
		len(a.SigningThumbprints) != 1 || a.SigningThumbprints[0] != "5A1F0B6C3E7D9A2B4C6E8F0A1B3C5D7E9F1A2B3C" {
		t.Errorf("adfs metadata %+v", a)
	}
	if b.RefreshInterval != 15*time.Minute || !b.InsecureAllowUnsigned || len(b.SigningThumbprints) != 0 {
		t.Errorf("shib metadata %+v", b)
	}
	for _, p := range c.CheckFiles() {
		if strings.HasPrefix(p.Path, "saml2.") {
			t.Errorf("CheckFiles on URL metadata: %v", p)
		}
	}
	const m = "saml2.service_providers[0].metadata"
	for _, tc := range []struct{ meta, path, want string }{
		{"{signing_thumbprints: [" + thumb + "]}", m, "give exactly one of url and file"},
		{"{url: 'https://a.example/x', file: b.xml, signing_thumbprints: [" + thumb + "]}", m, "give exactly one of url and file"},
		{"{url: 'http://adfs.example.com/x', signing_thumbprints: [" + thumb + "]}", m + ".url", "https"},
		{"{url: 'http://127.0.0.1/x', signing_thumbprints: [" + thumb + "]}", m + ".url", "must be https: AD FS publishes its metadata over HTTPS"},
		{"{url: 'not a url', signing_thumbprints: [" + thumb + "]}", m + ".url", "absolute"},
		{"{url: 'https://adfs.example.com/x', refresh_interval: 10s, signing_thumbprints: [" + thumb + "]}", m + ".refresh_interval", "must be at least 1m"},
		{"{file: md.xml, refresh_interval: 1h, signing_thumbprints: [" + thumb + "]}", m + ".refresh_interval", "applies only to metadata read from a url"},
		{"{url: 'https://adfs.example.com/x'}", m + ".signing_thumbprints", "required: the SHA-1 or SHA-256 thumbprint(s)"},
		{"{url: 'https://adfs.example.com/x', signing_thumbprints: [12:34]}", m + ".signing_thumbprints[0]", "40 hex digits"},
	} {
		_, err := Load(writeConfig(t, minimal+sp+tc.meta+"\n"), nil)
		if err == nil {
			t.Errorf("%s: accepted", tc.meta)
			continue
		}
		if ps := problemsOf(t, err); !hasProblem(ps, tc.path, tc.want) {
			t.Errorf("%s: got %v, want %s: %s", tc.meta, ps, tc.path, tc.want)
		}
	}
}
