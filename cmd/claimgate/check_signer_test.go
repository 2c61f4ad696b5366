package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckSignsWithTheSigner: check opens the configured signer, makes
// a test signature, verifies it with the signing certificate and says
// which signer and key it used. Before, check loaded the key files only
// and never opened the signer, so a wrong HSM PIN or key label passed.
func TestCheckSignsWithTheSigner(t *testing.T) {
	dir := t.TempDir()
	crt, key := filepath.Join(dir, "s.crt"), filepath.Join(dir, "s.key")
	if code, _, errOut := runCmd(t, "", nil, "certs", "new", "--cert", crt, "--key", key); code != 0 {
		t.Fatalf("certs new: %d %s", code, errOut)
	}
	cfg := writeConfig(t, dir, crt, key)
	code, out, errOut := runCmd(t, "", nil, "check", "--config", cfg)
	if want := "signer: ok, go, key from " + key + ": a test signature verifies with the signing certificate\n"; code != 0 || !strings.Contains(out, want) {
		t.Errorf("check = %d, output lacks %q:\n%s%s", code, want, out, errOut)
	}
}
