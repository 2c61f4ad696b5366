//go:build openssl && cgo

package signer_test

import (
	"testing"

	"github.com/claimgate/claimgate/internal/signer"
)

// TestOpenSSLBuilt: with the tag, Check lets the kind through; the
// implementation is tested in package openssl.
func TestOpenSSLBuilt(t *testing.T) {
	if err := signer.Check(signer.KindOpenSSL); err != nil {
		t.Errorf("Check = %v", err)
	}
}
