package app

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/config"
)

const reloadBase = `entity_id: https://sts.example.test/
base_url: https://sts.example.test
data_dir: DIR/data
server:
  listen: 127.0.0.1:8443
  insecure_http: true
  read_timeout: 10s
signing:
  keys: [{cert_file: s.crt, key_file: s.key}]
relying_parties:
  - {name: AD FS, identifier: "http://adfs.example.test/adfs/services/trust", reply_url: "https://adfs.example.test/adfs/ls/"}
directory:
  users_file: {path: users.yaml}
mfa:
  encryption_key: 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
branding: {product_name: Contoso}
audit: {log: none}
logging: {level: info}
`

func loadReloadConfig(t *testing.T, dir, yaml string) *config.Config {
	t.Helper()
	path := filepath.Join(dir, "claimgate.yaml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(yaml, "DIR", dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestRestartOnly: the settings bound to the listener, the store and the
// log are named when they change; everything a reload is for (keys,
// parties, branding, timeouts of the drain) is not.
func TestRestartOnly(t *testing.T) {
	dir := t.TempDir()
	base := loadReloadConfig(t, dir, reloadBase)
	for _, tc := range []struct {
		name     string
		old, new string // replaced in reloadBase
		want     []string
	}{
		{"nothing", "", "", nil},
		{"listen", "listen: 127.0.0.1:8443", "listen: 127.0.0.1:9443", []string{"server.listen"}},
		{"tls switched on", "  insecure_http: true\n", "  tls: {cert_file: t.crt, key_file: t.key}\n", []string{"server.tls"}},
		{"read timeout", "read_timeout: 10s", "read_timeout: 11s", []string{"server.read_timeout"}},
		{"metrics listener", "audit: {log: none}", "audit: {log: none}\nmetrics: {listen: 127.0.0.1:9100}", []string{"metrics.listen"}},
		{"store path", "audit: {log: none}", "audit: {log: none}\nstore: {path: DIR/other.db}", []string{"store.path"}},
		{"encryption key", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100", []string{"mfa.encryption_key"}},
		{"data_dir", "data_dir: DIR/data", "data_dir: DIR/data2\nstore: {path: DIR/data/claimgate.db}", []string{"data_dir"}},
		{"log level", "level: info", "level: debug", []string{"logging.level"}},
		{"signing keys", "keys: [{cert_file: s.crt, key_file: s.key}]", "keys: [{cert_file: s.crt, key_file: s.key}, {cert_file: n.crt, key_file: n.key}]\n  extra_published_certs: [x.crt]", nil},
		{"relying parties", "relying_parties:\n", "relying_parties:\n  - {name: Two, identifier: \"urn:two\", reply_url: \"https://two.example.test/adfs/ls/\"}\n", nil},
		{"branding", "product_name: Contoso", "product_name: Fabrikam", nil},
		{"shutdown timeout", "read_timeout: 10s", "read_timeout: 10s\n  shutdown_timeout: 40s", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := strings.Replace(reloadBase, tc.old, tc.new, 1)
			if tc.old != "" && yaml == reloadBase {
				t.Fatalf("%q not in the base configuration", tc.old)
			}
			next := loadReloadConfig(t, t.TempDir(), strings.ReplaceAll(yaml, "DIR", dir))
			var got []string
			for _, p := range RestartOnly(base, next) {
				if !strings.Contains(p.Message, "restart") {
					t.Errorf("%s: message %q does not say to restart", p.Path, p.Message)
				}
				got = append(got, p.Path)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("RestartOnly = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSharedStoreOutlivesTheApp: an App built with Options.Store leaves
// that store open when it is closed (the next generation goes on using
// it), and Close may be called twice.
func TestSharedStoreOutlivesTheApp(t *testing.T) {
	a, _ := buildFromYAML(t, `relying_parties:
  - {name: AD FS, identifier: "urn:adfs", reply_url: "https://adfs.example.test/adfs/ls/"}`)
	cfg := a.Config
	ctx := context.Background()
	st, err := OpenSharedStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	first, err := Build(ctx, cfg, Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if first.Store != st {
		t.Fatal("Build did not use the store it was given")
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := st.Cleanup(ctx, time.Now(), time.Hour); err != nil {
		t.Fatalf("the shared store was closed with the App: %v", err)
	}
	second, err := Build(ctx, cfg, Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if _, _, _, err := second.Store.GetSession(ctx, "no-such-session", time.Now()); err != nil {
		t.Fatalf("the next generation cannot use the shared store: %v", err)
	}
}
