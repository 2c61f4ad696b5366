package app

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/userfile"
)

const v4Identifier = "http://fs.msidlab11.com/adfs/services/trust"

// buildFromYAML writes a key, a users file and the given relying parties
// section, then builds the whole service.
func buildFromYAML(t *testing.T, parties string) (*App, string) {
	t.Helper()
	return buildFromYAMLServer(t, "", parties)
}

// buildFromYAMLServer is buildFromYAML with more lines (indented) in the
// server section.
func buildFromYAMLServer(t *testing.T, server, parties string) (*App, string) {
	t.Helper()
	return buildFromYAMLServerWith(t, server, parties, Options{})
}

// buildFromYAMLServerWith is buildFromYAMLServer with Build's options.
func buildFromYAMLServerWith(t *testing.T, server, parties string, o Options) (*App, string) {
	t.Helper()
	dir := t.TempDir()
	kp, err := certs.Generate(certs.GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := certs.WritePEM(kp, filepath.Join(dir, "s.crt"), filepath.Join(dir, "s.key"), false); err != nil {
		t.Fatal(err)
	}
	h, _ := mfa.HashPassword("pw", nil)
	if err := userfile.Write(filepath.Join(dir, "users.yaml"), &userfile.File{Users: []userfile.User{{Username: "alice", PasswordHash: h}}}); err != nil {
		t.Fatal(err)
	}
	yaml := `entity_id: https://sts.example.test/
base_url: https://sts.example.test
data_dir: ` + dir + `
server:
  listen: 127.0.0.1:8443
  insecure_http: true
` + server + `signing:
  keys: [{cert_file: s.crt, key_file: s.key}]
` + parties + `
directory:
  users_file: {path: users.yaml}
mfa:
  encryption_key: 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
audit: {log: none}
`
	path := filepath.Join(dir, "claimgate.yaml")
	os.WriteFile(path, []byte(yaml), 0o600)
	cfg, err := config.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := Build(ctx, cfg, o)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); a.Close() })
	return a, dir
}

// TestRelyingPartyFromADFSMetadata: a party configured only by AD FS's
// metadata file (pinned) answers to AD FS's identifier, posts to its
// /adfs/ls/, and shows in the health output; a wrong pin keeps it out.
func TestRelyingPartyFromADFSMetadata(t *testing.T) {
	md, err := filepath.Abs(filepath.Join("..", "..", "sts", "adfsmeta", "testdata", "adfs-v4-metadata.xml"))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := buildFromYAML(t, `relying_parties:
  - name: lab AD FS
    metadata:
      file: `+md+`
      signing_thumbprints: [D5FE73910389B58BBB3B0EBB87FDF110FF79FEBB]
`)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(srv.URL + "/wsfed?wa=wsignin1.0&wtrealm=" + url.QueryEscape(v4Identifier) + "&wctx=abc")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("sign-in for the metadata party: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "https://fs.msidlab11.com/adfs/ls/") {
		t.Fatalf("CSP form-action lacks AD FS's passive endpoint: %s", csp)
	}
	resp, err = client.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), v4Identifier) {
		t.Fatalf("health %d: %s", resp.StatusCode, body)
	}
	// From elsewhere the health check says up or down, not which farms.
	rec := httptest.NewRecorder()
	a.Handler.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil)) // RemoteAddr 192.0.2.1
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != "ok" {
		t.Fatalf("health for a remote client: %d %q", rec.Code, rec.Body.String())
	}

	bad, _ := buildFromYAML(t, `relying_parties:
  - name: lab AD FS
    metadata:
      file: `+md+`
      signing_thumbprints: [28D1BE71EBAB715A8F53CB9FD9D84C4373CD3708]
`)
	srv2 := httptest.NewServer(bad.Handler)
	defer srv2.Close()
	resp, err = client.Get(srv2.URL + "/wsfed?wa=wsignin1.0&wtrealm=" + url.QueryEscape(v4Identifier))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("party from metadata signed by an unpinned key was accepted: %d", resp.StatusCode)
	}
	// No usable metadata: not ready (the load balancer takes the
	// instance out, admin review F14), but alive (a restart cannot cure a
	// wrong pin, so a liveness probe must not restart it in a loop).
	resp, _ = client.Get(srv2.URL + "/healthz")
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "NO USABLE METADATA") {
		t.Fatalf("health with refused metadata: %d %s", resp.StatusCode, body)
	}
	resp, _ = client.Get(srv2.URL + "/readyz")
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(string(body), "not ready\n") || !strings.Contains(string(body), `relying party "lab AD FS" metadata `) ||
		!strings.Contains(string(body), "NO USABLE METADATA") {
		t.Fatalf("readiness with refused metadata: %d %s", resp.StatusCode, body)
	}
	resp, _ = client.Get(srv.URL + "/readyz")
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `relying party "lab AD FS" metadata `) {
		t.Fatalf("readiness with good metadata: %d %s", resp.StatusCode, body)
	}
}
