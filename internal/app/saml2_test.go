package app

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/config"
)

// adfsV4 is real AD FS 2016 metadata (its SPSSODescriptor is the SP) and
// the thumbprint of the certificate it is signed with.
const adfsV4Pin = "D5FE73910389B58BBB3B0EBB87FDF110FF79FEBB"

func adfsV4Metadata(t *testing.T) string {
	t.Helper()
	md, err := filepath.Abs(filepath.Join("..", "..", "sts", "adfsmeta", "testdata", "adfs-v4-metadata.xml"))
	if err != nil {
		t.Fatal(err)
	}
	return md
}

const wsfedParty = `relying_parties:
  - name: adfs
    identifier: http://adfs.example.com/adfs/services/trust
    reply_url: https://adfs.example.com/adfs/ls/
`

// adfsRequest is AD FS's AuthnRequest to https://sts.example.test, by
// HTTP-Redirect.
func adfsRequest(t *testing.T, id string) string {
	t.Helper()
	xml := `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="` + id + `" Version="2.0" IssueInstant="` +
		time.Now().UTC().Format(time.RFC3339) + `" Destination="https://sts.example.test/saml2/sso">` +
		`<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">` + v4Identifier + `</Issuer>` +
		`<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified" AllowCreate="true"/></samlp:AuthnRequest>`
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	w.Write([]byte(xml))
	w.Close()
	return "/saml2/sso?SAMLRequest=" + url.QueryEscape(base64.StdEncoding.EncodeToString(buf.Bytes())) + "&RelayState=r1"
}

// TestSAML2Wiring: with saml2 enabled the SP read from AD FS's pinned
// metadata may start a sign-in at /saml2/sso, and the metadata gains the
// IDPSSODescriptor (SSO and SLO under base_url, NameID formats); without
// it neither the route nor the role exists.
func TestSAML2Wiring(t *testing.T) {
	a, _ := buildFromYAML(t, wsfedParty+`saml2:
  enabled: true
  service_providers:
    - name: lab AD FS
      metadata: {file: `+adfsV4Metadata(t)+`, signing_thumbprints: [`+adfsV4Pin+`]}
      encryption: true
      encryption_method: aes128-cbc
`)
	md := string(a.Metadata)
	for _, want := range []string{`<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">`,
		`Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sts.example.test/saml2/sso"`,
		`Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sts.example.test/saml2/slo"`,
		`<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>`, `PassiveRequestorEndpoint`} {
		if !strings.Contains(md, want) {
			t.Errorf("metadata lacks %s", want)
		}
	}
	if strings.Contains(md, "nameid-format:persistent") {
		t.Error("persistent NameIDs offered without persistent_id_key")
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	resp, err := client.Get(srv.URL + adfsRequest(t, "id-wiring-1"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("AD FS's SAML request: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	off, _ := buildFromYAML(t, wsfedParty)
	if strings.Contains(string(off.Metadata), "IDPSSODescriptor") {
		t.Error("IDPSSODescriptor published with saml2 off")
	}
	srv2 := httptest.NewServer(off.Handler)
	defer srv2.Close()
	resp, err = client.Get(srv2.URL + adfsRequest(t, "id-wiring-2"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/saml2/sso with saml2 off: %d", resp.StatusCode)
	}
}

// TestSAML2BadMetadata: metadata signed by an unpinned key, or naming
// another entity than configured, stops the start with the SP's path.
func TestSAML2BadMetadata(t *testing.T) {
	for name, c := range map[string]struct{ sp, path string }{
		"wrong pin": {`metadata: {file: ` + adfsV4Metadata(t) + `, signing_thumbprints: [28D1BE71EBAB715A8F53CB9FD9D84C4373CD3708]}`,
			"saml2.service_providers[0].metadata.file"},
		"other entity": {`entity_id: http://other.example/adfs/services/trust
      metadata: {file: ` + adfsV4Metadata(t) + `, signing_thumbprints: [` + adfsV4Pin + `]}`, "saml2.service_providers[0].entity_id"},
	} {
		t.Run(name, func(t *testing.T) {
			_, dir := buildFromYAML(t, wsfedParty)
			cfgText := `entity_id: https://sts.example.test/
base_url: https://sts.example.test
data_dir: ` + dir + `
server: {listen: 127.0.0.1:8443, insecure_http: true}
signing:
  keys: [{cert_file: s.crt, key_file: s.key}]
` + wsfedParty + `saml2:
  enabled: true
  service_providers:
    - name: lab
      ` + c.sp + `
directory:
  users_file: {path: users.yaml}
mfa:
  encryption_key: 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
audit: {log: none}
`
			path := filepath.Join(dir, "saml2.yaml")
			if err := writeFile(path, cfgText); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			a, err := Build(context.Background(), cfg, Options{})
			if err == nil {
				a.Close()
				t.Fatal("built")
			}
			var ve *config.ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Path != c.path {
				t.Fatalf("error %v, want one problem at %s", err, c.path)
			}
		})
	}
}

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o600) }
