//go:build pkcs11 && cgo

package signer_test

import (
	"testing"

	"github.com/claimgate/claimgate/internal/signer"
)

// TestPKCS11Built: with the tag, Check lets the kind through; the
// implementation is tested in package pkcs11.
func TestPKCS11Built(t *testing.T) {
	if err := signer.Check(signer.KindPKCS11); err != nil {
		t.Errorf("Check = %v", err)
	}
}
