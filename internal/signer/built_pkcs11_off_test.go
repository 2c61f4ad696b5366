//go:build !(pkcs11 && cgo)

package signer_test

import (
	"strings"
	"testing"

	"github.com/claimgate/claimgate/internal/signer"
	"github.com/claimgate/claimgate/internal/signer/signertest"
)

// TestPKCS11NotBuilt: as for openssl, the missing tag is named.
func TestPKCS11NotBuilt(t *testing.T) {
	const want = "pkcs11 needs a claimgate built with -tags pkcs11 (go build -tags pkcs11 ./cmd/claimgate"
	if err := signer.Check(signer.KindPKCS11); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Check = %v, want %q", err, want)
	}
	_, c := signertest.KeyPair(t)
	spec := signer.Spec{Kind: signer.KindPKCS11, Cert: c, PKCS11: &signer.PKCS11Spec{Module: "/nonexistent.so"}}
	if _, err := signer.Open(spec); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Open = %v, want %q", err, want)
	}
}
