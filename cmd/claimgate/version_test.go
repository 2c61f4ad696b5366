package main

import (
	"strings"
	"testing"

	"github.com/claimgate/claimgate/internal/signer"
)

// TestVersionListsSigners: `claimgate version` names the signers this
// binary was built with, so an administrator can tell a claimgate built
// without -tags pkcs11 before configuring an HSM.
func TestVersionListsSigners(t *testing.T) {
	code, out, _ := runCmd(t, "", nil, "version")
	want := "claimgate " + version + "\nsigners: " + strings.Join(signer.Built(), ", ") + "\n"
	if code != 0 || out != want {
		t.Errorf("version = %d %q, want %q", code, out, want)
	}
	if !strings.Contains(out, "signers: go") {
		t.Errorf("the go signer is always built in: %q", out)
	}
}
