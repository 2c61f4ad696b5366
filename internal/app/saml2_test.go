package app

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/sts/saml2"
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

// saml2Config loads a configuration in dir (which buildFromYAML filled
// with keys and users) whose saml2 section lists sps.
func saml2Config(t *testing.T, dir, sps string) *config.Config {
	t.Helper()
	text := `entity_id: https://sts.example.test/
base_url: https://sts.example.test
data_dir: ` + dir + `
server: {listen: 127.0.0.1:8443, insecure_http: true}
signing:
  keys: [{cert_file: s.crt, key_file: s.key}]
` + wsfedParty + `saml2:
  enabled: true
  service_providers:
` + sps + `directory:
  users_file: {path: users.yaml}
mfa:
  encryption_key: 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
audit: {log: none}
`
	path := filepath.Join(dir, "saml2.yaml")
	if err := writeFile(path, text); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// metadataServer serves doc over HTTPS where AD FS publishes its metadata.
func metadataServer(t *testing.T, doc *atomic.Pointer[[]byte]) *httptest.Server {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/FederationMetadata/2007-06/FederationMetadata.xml" {
			http.NotFound(w, r)
			return
		}
		w.Write(*doc.Load())
	}))
	t.Cleanup(srv.Close)
	return srv
}

func readFixture(t *testing.T, v string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "sts", "saml2", "testdata", "adfs", "adfs-v"+v+"-metadata.xml"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSAML2SPFromMetadataURL: an SP configured with metadata.url (real AD
// FS 2016 metadata over HTTPS, its signer's thumbprint pinned) is served
// with the configuration's settings on top (AD FS's AES-256-CBC unless
// encryption_method says otherwise); a refresh that fails keeps it and
// /healthz says STALE; a restart while the URL is down serves the copy
// kept in data_dir; without that copy the start goes on without the SP,
// unhealthy; a configured entity_id the metadata contradicts stops the
// start.
func TestSAML2SPFromMetadataURL(t *testing.T) {
	var doc atomic.Pointer[[]byte]
	v4 := readFixture(t, "4")
	doc.Store(&v4)
	srv := metadataServer(t, &doc)
	mdURL := srv.URL + "/FederationMetadata/2007-06/FederationMetadata.xml"
	a, dir := buildFromYAML(t, wsfedParty)
	sp := func(extra string) string {
		return "    - name: lab AD FS\n      metadata: {url: '" + mdURL + "', signing_thumbprints: [" + adfsV4Pin + "]}\n      encryption: true\n" + extra
	}
	log := slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	reg, err := saml2SPs(ctx, saml2Config(t, dir, sp("")), log, time.Now, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	got, ok := reg.SP(v4Identifier)
	if !ok || got.DefaultACS().Location != "https://fs.msidlab11.com/adfs/ls/" || !got.EncryptAssertions || got.EncryptionMethod != saml2.EncAES256CBC {
		t.Fatalf("SP from the URL: %v %+v", ok, got)
	}
	if ok, lines := reg.health(); !ok || !strings.Contains(strings.Join(lines, "\n"), `service provider "lab AD FS" metadata `+mdURL+": ok, "+v4Identifier) {
		t.Errorf("health %v %q", ok, lines)
	}
	// The metadata gauges carry it beside the relying parties, prefixed.
	if m := a.metricsState(&registry{sps: reg}).RelyingParties; len(m) != 1 || m[0].Name != "saml2:lab AD FS" || !m[0].Usable || m[0].LastSuccess.IsZero() {
		t.Errorf("metrics %+v", m)
	}

	// encryption_method overrides the AD FS rule.
	gcm, err := saml2SPs(ctx, saml2Config(t, t.TempDir(), sp("      encryption_method: aes256-gcm\n")), log, time.Now, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := gcm.SP(v4Identifier); !ok || got.EncryptionMethod != saml2.EncAES256GCM {
		t.Errorf("encryption_method not applied: %+v", got)
	}

	// A configured entity_id the metadata contradicts stops the start.
	_, err = saml2SPs(ctx, saml2Config(t, t.TempDir(), sp("      entity_id: http://other.example/adfs/services/trust\n")), log, time.Now, srv.Client())
	var ve *config.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Path != "saml2.service_providers[0].entity_id" {
		t.Fatalf("entity_id contradicted: %v", err)
	}

	// AD FS now serves a document signed by a key that is not pinned.
	v3 := readFixture(t, "3")
	doc.Store(&v3)
	if err := reg.entries[0].src.Refresh(ctx); err == nil {
		t.Fatal("refresh with an unpinned signer succeeded")
	}
	if got, ok := reg.SP(v4Identifier); !ok || got.DefaultACS().Location != "https://fs.msidlab11.com/adfs/ls/" {
		t.Fatal("last good SP lost")
	}
	if ok, lines := reg.health(); !ok || !strings.Contains(strings.Join(lines, "\n"), "STALE") {
		t.Errorf("health after a failed refresh %v %q", ok, lines)
	}

	// Restart with AD FS down: the copy in data_dir is served.
	srv.Close()
	again, err := saml2SPs(ctx, saml2Config(t, dir, sp("")), log, time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := again.SP(v4Identifier); !ok || got.EncryptionMethod != saml2.EncAES256CBC {
		t.Fatalf("restart during the outage: %v %+v", ok, got)
	}
	if st := again.entries[0].src.Status(); !st.FromCache || st.LastError == "" {
		t.Errorf("restart status %+v", st)
	}

	// No copy yet and the URL down: the start goes on without the SP.
	empty, err := saml2SPs(ctx, saml2Config(t, t.TempDir(), sp("")), log, time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := empty.SP(v4Identifier); ok {
		t.Error("SP served without any metadata")
	}
	if ok, lines := empty.health(); ok || !strings.Contains(strings.Join(lines, "\n"), "NO USABLE METADATA") {
		t.Errorf("health without metadata %v %q", ok, lines)
	}
}

// TestSAML2URLThroughBuild: Build (what serve runs at start and on every
// SIGHUP reload) serves an SP whose metadata URL is down from the last good
// copy in data_dir, and a second generation built from the same file does
// too; /healthz names the stale source.
func TestSAML2URLThroughBuild(t *testing.T) {
	down := httptest.NewTLSServer(http.NotFoundHandler())
	mdURL := down.URL + "/FederationMetadata/2007-06/FederationMetadata.xml"
	down.Close()
	_, dir := buildFromYAML(t, wsfedParty)
	cfg := saml2Config(t, dir, "    - name: lab AD FS\n      metadata: {url: '"+mdURL+"', signing_thumbprints: ["+adfsV4Pin+"]}\n")
	h := sha256.Sum256([]byte(mdURL))
	if err := os.WriteFile(filepath.Join(dir, "saml2-sp-metadata-"+hex.EncodeToString(h[:8])+".xml"), readFixture(t, "4"), 0o600); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for gen := 1; gen <= 2; gen++ {
		a, err := Build(context.Background(), cfg, Options{})
		if err != nil {
			t.Fatalf("generation %d: %v", gen, err)
		}
		srv := httptest.NewServer(a.Handler)
		resp, err := client.Get(srv.URL + adfsRequest(t, fmt.Sprintf("id-url-%d", gen)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
			t.Fatalf("generation %d: AD FS's SAML request: %d %s", gen, resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, err = client.Get(srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `service provider "lab AD FS" metadata `+mdURL+": STALE") {
			t.Errorf("generation %d: health %d %s", gen, resp.StatusCode, body)
		}
		srv.Close()
		a.Close()
	}
}

// TestSPRegistryAmbiguous: two SPs with one entity ID (metadata that loaded
// only after the start naming another SP's entity) answer neither, and
// /healthz says so.
func TestSPRegistryAmbiguous(t *testing.T) {
	one := &saml2.SP{EntityID: "https://sp.example/"}
	r := &spRegistry{entries: []spEntry{{name: "a", static: one}, {name: "b", static: &saml2.SP{EntityID: "https://other.example/"}}}}
	if got, ok := r.SP("https://sp.example/"); !ok || got == one || got.EntityID != one.EntityID {
		t.Fatalf("lookup: %v %p", ok, got)
	}
	r.entries[1].static.EntityID = one.EntityID
	if _, ok := r.SP(one.EntityID); ok {
		t.Error("ambiguous entity ID answered")
	}
	if ok, lines := r.health(); ok || !strings.Contains(strings.Join(lines, "\n"), `"a" and "b" both have entity ID https://sp.example/`) {
		t.Errorf("health %v %q", ok, lines)
	}
}
