package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeStartExitCodes: serve exits with EX_CONFIG (78) when the
// configuration is wrong, so that systemd's RestartPreventExitStatus=78
// stops a restart loop (which, with a wrong HSM PIN, would lock the
// token), and keeps 1 for a failure a restart may cure (the listen port
// taken). Before, every failure was 1.
func TestServeStartExitCodes(t *testing.T) {
	dir := t.TempDir()
	crt, key := filepath.Join(dir, "s.crt"), filepath.Join(dir, "s.key")
	if code, _, errOut := runCmd(t, "", nil, "certs", "new", "--cert", crt, "--key", key); code != 0 {
		t.Fatalf("certs new: %d %s", code, errOut)
	}
	cfg := writeConfig(t, dir, crt, key)
	if code, _, errOut := runCmd(t, "", nil, "serve", "--config", filepath.Join(dir, "missing.yaml")); code != exitConfig {
		t.Errorf("serve with a missing configuration file: %d, want %d\n%s", code, exitConfig, errOut)
	}
	body, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(old, new string) {
		t.Helper()
		if !strings.Contains(string(body), old) {
			t.Fatalf("configuration lacks %q", old)
		}
		if err := os.WriteFile(cfg, []byte(strings.Replace(string(body), old, new, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	edit("key_file: "+key, "key_file: "+key+".gone")
	if code, _, errOut := runCmd(t, "", nil, "serve", "--config", cfg); code != exitConfig || !strings.Contains(errOut, "signing.keys[0].key_file") {
		t.Errorf("serve with a missing key file: %d, want %d\n%s", code, exitConfig, errOut)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	edit("listen: 127.0.0.1:8443", "listen: "+ln.Addr().String())
	if code, _, errOut := runCmd(t, "", nil, "serve", "--config", cfg); code != 1 {
		t.Errorf("serve with the port taken: %d, want 1\n%s", code, errOut)
	}
}
