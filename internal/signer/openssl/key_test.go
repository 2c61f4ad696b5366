//go:build openssl && cgo

package openssl_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/internal/signer"
	"github.com/claimgate/claimgate/internal/signer/openssl"
	"github.com/claimgate/claimgate/internal/signer/signertest"
)

// TestConformance opens the signer the way claimgate does (signing.signer:
// openssl) and holds it to the shared contract: byte-identical to
// crypto/rsa over many digests, under concurrent use.
func TestConformance(t *testing.T) {
	k, c := signertest.KeyPair(t)
	s, err := signer.Open(signer.Spec{Kind: signer.KindOpenSSL, Key: k, Cert: c})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(*openssl.Key); !ok {
		t.Fatalf("Open(openssl) = %T", s)
	}
	signertest.Run(t, s, k, c)
}

func TestRefuses(t *testing.T) {
	k, c := signertest.KeyPair(t)
	s, err := openssl.New(k)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d := make([]byte, 32)
	for name, opts := range map[string]crypto.SignerOpts{
		"PSS":     &rsa.PSSOptions{Hash: crypto.SHA256},
		"SHA-512": crypto.SHA512,
	} {
		if _, err := s.Sign(rand.Reader, d, opts); err == nil || !strings.Contains(err.Error(), "not supported") {
			t.Errorf("%s: %v, want not supported", name, err)
		}
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signer.Open(signer.Spec{Kind: signer.KindOpenSSL, Key: ec, Cert: c}); err == nil ||
		!strings.Contains(err.Error(), "needs an RSA private key") {
		t.Errorf("ECDSA key: %v", err)
	}
	if _, err := openssl.New(&rsa.PrivateKey{}); err == nil {
		t.Error("empty key accepted")
	}
}

// TestClose: Sign after Close is an error, not a crash on freed memory,
// and Close may be called twice.
func TestClose(t *testing.T) {
	k, _ := signertest.KeyPair(t)
	s, err := openssl.New(k)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sign(rand.Reader, make([]byte, 32), crypto.SHA256); !errors.Is(err, openssl.ErrClosed) {
		t.Errorf("Sign after Close: %v", err)
	}
}
