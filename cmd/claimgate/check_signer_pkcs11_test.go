//go:build pkcs11 && cgo

package main

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/internal/signer/signertest"
)

// TestCheckOpensTheHSM: with signing.signer pkcs11, check logs in to
// the SoftHSM token, signs a test digest that verifies with keys[0]'s
// certificate, and names the key label and token; a key label the token
// lacks fails check with the reason.
func TestCheckOpensTheHSM(t *testing.T) {
	h := signertest.NewSoftHSM(t)
	dir := t.TempDir()
	crt := filepath.Join(dir, "hsm.crt")
	if err := os.WriteFile(crt, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: h.Cert.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, crt, "KEY")
	body, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	write := func(keyLabel string) {
		t.Helper()
		y := strings.Replace(string(body), "      key_file: KEY\n",
			"  signer: pkcs11\n  pkcs11:\n    module: "+h.Module+"\n    token_label: "+h.TokenLabel+"\n    pin: \""+h.PIN+"\"\n    key_label: "+keyLabel+"\n", 1)
		if err := os.WriteFile(cfg, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(h.KeyLabel)
	code, out, errOut := runCmd(t, "", nil, "check", "--config", cfg)
	if want := `signer: ok, pkcs11, key "token-signing" in token "claimgate": a test signature verifies`; code != 0 || !strings.Contains(out, want) {
		t.Fatalf("check = %d, output lacks %q:\n%s%s", code, want, out, errOut)
	}
	write("rollover-2027")
	code, out, errOut = runCmd(t, "", nil, "check", "--config", cfg)
	if want := `signer: FAILED: signer: pkcs11: token "claimgate" has no private key labelled "rollover-2027"`; code != 1 || !strings.Contains(out, want) {
		t.Errorf("check = %d, output lacks %q:\n%s%s", code, want, out, errOut)
	}
}
