package certs

import (
	"crypto"
	"errors"
	"testing"
)

// TestCertificateOnly: a certificate whose key is in an HSM makes a pair
// that a Set accepts and publishes like any other, and that refuses to
// sign, so nothing can mistake it for the key.
func TestCertificateOnly(t *testing.T) {
	kp := mustPair(t)
	held, err := CertificateOnly(kp.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	if !held.Held() || kp.Held() {
		t.Errorf("Held: %v for the certificate-only pair, %v for a loaded one", held.Held(), kp.Held())
	}
	set, err := NewSet([]*KeyPair{held}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Published) != 1 || !set.Published[0].Equal(kp.Certificate) {
		t.Errorf("published %v", set.Published)
	}
	if _, err := held.Key.Sign(nil, make([]byte, 32), crypto.SHA256); !errors.Is(err, ErrKeyHeld) {
		t.Errorf("Sign = %v, want ErrKeyHeld", err)
	}
	if _, err := CertificateOnly(nil); err == nil {
		t.Error("nil certificate accepted")
	}
}
