package signertest

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/claimgate/claimgate/internal/testutil"
)

// SoftHSMModule is where Debian's softhsm2 package puts the module
// (scripts/install-deps.sh installs it).
const SoftHSMModule = "/usr/lib/softhsm/libsofthsm2.so"

// SoftHSM is a token made for one test: its labels and PIN, and the key
// imported into it with the certificate for that key.
type SoftHSM struct {
	Module, TokenLabel, PIN, KeyLabel string
	Key                               *rsa.PrivateKey
	Cert                              *x509.Certificate
}

// NewSoftHSM points SoftHSM at a fresh token directory through
// SOFTHSM2_CONF (read at C_Initialize, so the test must not run in
// parallel and must close its signers before it ends), makes a token and
// imports a fresh key into it with softhsm2-util, as an administrator
// would. It fails, never skips, when SoftHSM is not installed.
func NewSoftHSM(t testing.TB) SoftHSM {
	t.Helper()
	util := testutil.RequireTool(t, "softhsm2-util")
	if _, err := os.Stat(SoftHSMModule); err != nil {
		t.Fatalf("SoftHSM module missing (run scripts/install-deps.sh): %v", err)
	}
	h := SoftHSM{Module: SoftHSMModule, TokenLabel: "claimgate", PIN: "246810", KeyLabel: "token-signing"}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.WriteFile(conf, []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(util, args...).CombinedOutput(); err != nil {
			t.Fatalf("softhsm2-util %v: %v\n%s", args, err, out)
		}
	}
	run("--init-token", "--free", "--label", h.TokenLabel, "--pin", h.PIN, "--so-pin", "13579111")
	h.Key, h.Cert = KeyPair(t)
	der, err := x509.MarshalPKCS8PrivateKey(h.Key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	run("--import", keyFile, "--token", h.TokenLabel, "--label", h.KeyLabel, "--id", "01", "--pin", h.PIN)
	if err := os.Remove(keyFile); err != nil { // from now on the key is only in the token (and in Key, the reference)
		t.Fatal(err)
	}
	return h
}
