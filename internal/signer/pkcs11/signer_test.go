//go:build pkcs11 && cgo

package pkcs11_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/internal/signer"
	"github.com/claimgate/claimgate/internal/signer/pkcs11"
	"github.com/claimgate/claimgate/internal/signer/signertest"
)

// TestConformance: the key imported into SoftHSM signs, through
// signer.Open, exactly the bytes crypto/rsa makes with the same key, and
// does so from many goroutines over the default four sessions.
func TestConformance(t *testing.T) {
	h := newHSM(t)
	s, err := h.open(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*pkcs11.Signer); !ok {
		t.Fatalf("Open(pkcs11) = %T", s)
	}
	signertest.Run(t, s, h.Key, h.Cert)
}

// TestOpenRefuses: each configuration mistake an administrator can make
// is named in the error, and a failed Open leaves the module usable. (A
// wrong PIN has a test of its own: TestWrongPINTriedOnce.)
func TestOpenRefuses(t *testing.T) {
	h := newHSM(t)
	_, otherCert := signertest.KeyPair(t)
	for _, tc := range []struct {
		name string
		edit func(*signer.Spec)
		want string
	}{
		{"missing key", func(s *signer.Spec) { s.PKCS11.KeyLabel = "rollover-2027" }, `token "claimgate" has no private key labelled "rollover-2027"`},
		{"missing token", func(s *signer.Spec) { s.PKCS11.TokenLabel = "prod" }, `no token labelled "prod" (the module shows "claimgate")`},
		{"not a module", func(s *signer.Spec) { s.PKCS11.Module = "/nonexistent/libhsm.so" }, "cannot load the PKCS#11 module /nonexistent/libhsm.so"},
		{"another certificate", func(s *signer.Spec) { s.Cert = otherCert },
			`signer: pkcs11: the key labelled "token-signing" in token "claimgate" does not belong to the signing certificate "signertest"`},
		{"too many sessions", func(s *signer.Spec) { s.PKCS11.Sessions = 1000 }, "sessions must be between 1 and 64"},
	} {
		s, err := h.open(t, tc.edit)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Open = %v, %v; want an error with %q", tc.name, s, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), h.PIN) {
			t.Errorf("%s: the PIN is in the error: %v", tc.name, err)
		}
	}
	s, err := h.open(t, nil)
	if err != nil {
		t.Fatalf("after the failures, the right configuration: %v", err)
	}
	if _, err := s.Sign(rand.Reader, make([]byte, 32), crypto.SHA256); err != nil {
		t.Error(err)
	}
}

// TestReloadOverlap is a reload: the new generation's signer opens on the
// same token while the old one still signs, then the old one closes. The
// login and the module are shared, so closing the old signer must leave
// the new one working; a changed PIN is refused while the token is logged
// in; once both are closed the module starts afresh.
func TestReloadOverlap(t *testing.T) {
	h := newHSM(t)
	old, err := h.open(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	next, err := h.open(t, func(s *signer.Spec) { s.PKCS11.Sessions = 2 })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.open(t, func(s *signer.Spec) { s.PKCS11.PIN = "999999" }); err == nil || !strings.Contains(err.Error(), "different PIN") {
		t.Errorf("changed PIN while logged in: %v", err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	d := make([]byte, 32)
	got, err := next.Sign(rand.Reader, d, crypto.SHA256)
	if err != nil {
		t.Fatalf("new generation after the old one closed: %v", err)
	}
	want, _ := rsa.SignPKCS1v15(nil, h.Key, crypto.SHA256, d)
	if !bytes.Equal(got, want) {
		t.Error("new generation's signature differs from crypto/rsa's")
	}
	if err := next.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := h.open(t, nil)
	if err != nil {
		t.Fatalf("reopening after every signer closed: %v", err)
	}
	if _, err := again.Sign(rand.Reader, d, crypto.SHA256); err != nil {
		t.Error(err)
	}
}

// TestClose: Sign after Close is an error, and Close may be called twice.
func TestClose(t *testing.T) {
	h := newHSM(t)
	s, err := h.open(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sign(rand.Reader, make([]byte, 32), crypto.SHA256); !errors.Is(err, pkcs11.ErrClosed) {
		t.Errorf("Sign after Close: %v", err)
	}
	if _, err := s.Sign(rand.Reader, make([]byte, 32), &rsa.PSSOptions{Hash: crypto.SHA256}); err == nil || !strings.Contains(err.Error(), "RSA-PSS is not supported") {
		t.Errorf("PSS: %v", err)
	}
}

func BenchmarkSign(b *testing.B) {
	s := benchSigner(b)
	signertest.Benchmark(b, s)
}

// BenchmarkSignParallel is the rate with every core signing over the
// default four sessions.
func BenchmarkSignParallel(b *testing.B) {
	s := benchSigner(b)
	d := make([]byte, 32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Sign(nil, d, crypto.SHA256); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
