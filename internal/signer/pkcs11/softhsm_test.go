//go:build pkcs11 && cgo

package pkcs11_test

import (
	"testing"

	"github.com/claimgate/claimgate/internal/signer"
	"github.com/claimgate/claimgate/internal/signer/signertest"
)

// hsm is a SoftHSM token made for one test (signertest.NewSoftHSM).
type hsm struct{ signertest.SoftHSM }

func newHSM(t testing.TB) hsm { return hsm{signertest.NewSoftHSM(t)} }

// spec is how claimgate opens the token's key (signing.signer: pkcs11).
func (h hsm) spec() signer.Spec {
	return signer.Spec{Kind: signer.KindPKCS11, Cert: h.Cert, PKCS11: &signer.PKCS11Spec{
		Module: h.Module, TokenLabel: h.TokenLabel, PIN: h.PIN, KeyLabel: h.KeyLabel}}
}

// open opens the signer with spec changed by edit, closing it when the
// test ends.
func (h hsm) open(t testing.TB, edit func(*signer.Spec)) (signer.Signer, error) {
	t.Helper()
	s := h.spec()
	p := *s.PKCS11
	s.PKCS11 = &p
	if edit != nil {
		edit(&s)
	}
	sg, err := signer.Open(s)
	if err == nil {
		t.Cleanup(func() { _ = sg.Close() })
	}
	return sg, err
}

func benchSigner(b *testing.B) signer.Signer {
	b.Helper()
	s, err := newHSM(b).open(b, nil)
	if err != nil {
		b.Fatal(err)
	}
	return s
}
