//go:build !(openssl && cgo)

package signer_test

import (
	"strings"
	"testing"

	"github.com/claimgate/claimgate/internal/signer"
	"github.com/claimgate/claimgate/internal/signer/signertest"
)

// TestOpenSSLNotBuilt: a claimgate built without the tag says what to do,
// both when the configuration is checked and if Open is called anyway.
func TestOpenSSLNotBuilt(t *testing.T) {
	const want = "openssl needs a claimgate built with -tags openssl (go build -tags openssl ./cmd/claimgate"
	if err := signer.Check(signer.KindOpenSSL); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Check = %v, want %q", err, want)
	}
	k, c := signertest.KeyPair(t)
	if _, err := signer.Open(signer.Spec{Kind: signer.KindOpenSSL, Key: k, Cert: c}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Open = %v, want %q", err, want)
	}
}
