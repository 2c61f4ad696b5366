package signer_test

import (
	"strings"
	"testing"

	"github.com/claimgate/claimgate/internal/signer"
	"github.com/claimgate/claimgate/internal/signer/signertest"
)

func TestGoSignerConformance(t *testing.T) {
	k, c := signertest.KeyPair(t)
	for _, kind := range []string{"", signer.KindGo} {
		s, err := signer.Open(signer.Spec{Kind: kind, Key: k, Cert: c})
		if err != nil {
			t.Fatalf("%q: %v", kind, err)
		}
		signertest.Run(t, s, k, c)
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, k := range []string{"", signer.KindGo} {
		if err := signer.Check(k); err != nil {
			t.Errorf("Check(%q): %v", k, err)
		}
	}
	err := signer.Check("gpg")
	if err == nil || !strings.Contains(err.Error(), `unknown signer "gpg": use go, openssl or pkcs11`) {
		t.Errorf("Check(gpg) = %v", err)
	}
}

func TestOpenRefuses(t *testing.T) {
	k, c := signertest.KeyPair(t)
	other, _ := signertest.KeyPair(t)
	for _, tc := range []struct {
		name string
		spec signer.Spec
		want string
	}{
		{"no certificate", signer.Spec{Key: k}, "certificate is required"},
		{"no key", signer.Spec{Cert: c}, "private key is required"},
		{"key of another certificate", signer.Spec{Key: other, Cert: c}, `signer: go: the signing key does not belong to the signing certificate "signertest"`},
		{"unknown kind", signer.Spec{Kind: "hsm", Key: k, Cert: c}, `unknown signer "hsm"`},
	} {
		s, err := signer.Open(tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Open = %v, %v; want an error with %q", tc.name, s, err, tc.want)
		}
	}
}

func BenchmarkSignGo(b *testing.B) {
	k, c := signertest.KeyPair(b)
	s, err := signer.Open(signer.Spec{Key: k, Cert: c})
	if err != nil {
		b.Fatal(err)
	}
	signertest.Benchmark(b, s)
}

// TestBuilt: the kinds listed are exactly those Check lets through.
func TestBuilt(t *testing.T) {
	built := map[string]bool{}
	for _, k := range signer.Built() {
		built[k] = true
	}
	for _, k := range []string{signer.KindGo, signer.KindOpenSSL, signer.KindPKCS11} {
		if got, want := built[k], signer.Check(k) == nil; got != want {
			t.Errorf("Built() has %s: %v, Check says %v", k, got, want)
		}
	}
}
