package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"strings"
	"testing"
	"time"
)

func TestNewSetOrderAndDeduplication(t *testing.T) {
	current := mustPair(t)
	nextKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	next := &KeyPair{Key: nextKey, Certificate: selfSigned(t, nextKey, "next", fixedNow, fixedNow.AddDate(2, 0, 0))}
	publicOnly := selfSigned(t, nextKey, "public only", fixedNow, fixedNow.AddDate(2, 0, 0))
	s, err := NewSet([]*KeyPair{current, next, current}, []*x509.Certificate{publicOnly, next.Certificate})
	if err != nil {
		t.Fatal(err)
	}
	if s.Signing != current {
		t.Error("the first pair must sign")
	}
	want := []*x509.Certificate{current.Certificate, next.Certificate, publicOnly}
	if len(s.Published) != len(want) {
		t.Fatalf("published %d certificates, want %d", len(s.Published), len(want))
	}
	for i := range want {
		if !s.Published[i].Equal(want[i]) {
			t.Errorf("published[%d] = %q", i, s.Published[i].Subject.CommonName)
		}
	}
}

func TestNewSetRefuses(t *testing.T) {
	good := mustPair(t)
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	weakPair := &KeyPair{Key: weak, Certificate: selfSigned(t, weak, "weak", fixedNow, fixedNow.AddDate(1, 0, 0))}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecPair := &KeyPair{Key: ec, Certificate: selfSigned(t, ec, "ec", fixedNow, fixedNow.AddDate(1, 0, 0))}
	mismatched := &KeyPair{Key: weak, Certificate: good.Certificate}
	cases := []struct {
		name  string
		pairs []*KeyPair
		extra []*x509.Certificate
		want  string
	}{
		{"none", nil, nil, "no signing key"},
		{"weak signer", []*KeyPair{weakPair}, nil, "1024 bits"},
		{"weak second", []*KeyPair{good, weakPair}, nil, "signing key 2"},
		{"ecdsa", []*KeyPair{ecPair}, nil, "only RSA"},
		{"mismatched", []*KeyPair{mismatched}, nil, "does not belong"},
		{"weak published", []*KeyPair{good}, []*x509.Certificate{weakPair.Certificate}, "published certificate 1"},
		{"nil pair", []*KeyPair{good, nil}, nil, "incomplete"},
	}
	for _, tc := range cases {
		if _, err := NewSet(tc.pairs, tc.extra); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestSetWarnings(t *testing.T) {
	signer := mustPair(t) // valid from fixedNow-5m for two years
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	expired := selfSigned(t, k, "old", fixedNow.AddDate(-2, 0, 0), fixedNow.AddDate(0, 0, -1))
	soon := selfSigned(t, k, "soon", fixedNow.AddDate(-1, 0, 0), fixedNow.AddDate(0, 0, 10))
	future := selfSigned(t, k, "future", fixedNow.AddDate(0, 1, 0), fixedNow.AddDate(2, 0, 0))
	s, err := NewSet([]*KeyPair{signer}, []*x509.Certificate{expired, soon, future})
	if err != nil {
		t.Fatal(err)
	}
	if w := s.Warnings(fixedNow.Add(time.Hour)); len(w) != 3 ||
		!strings.Contains(w[0], `"old"`) || !strings.Contains(w[0], "expired on") ||
		!strings.Contains(w[1], `"soon"`) || !strings.Contains(w[1], "in 10 days") ||
		!strings.Contains(w[2], `"future"`) || !strings.Contains(w[2], "not valid before") {
		t.Errorf("warnings: %q", w)
	}
	late := fixedNow.Add(DefaultValidFor - 24*time.Hour)
	w := s.Warnings(late)
	if len(w) == 0 || !strings.Contains(w[0], "signing certificate") || !strings.Contains(w[0], ThumbprintSHA1(signer.Certificate)) {
		t.Errorf("signing certificate about to expire: %q", w)
	}
	clean, _ := NewSet([]*KeyPair{signer}, nil)
	if w := clean.Warnings(fixedNow.Add(time.Hour)); len(w) != 0 {
		t.Errorf("fresh certificate warned: %q", w)
	}
}
