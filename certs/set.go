package certs

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// MinRSABits is the smallest RSA key AD FS accepts for token signing.
const MinRSABits = 2048

// ExpiryWarning is how long before a certificate expires Warnings starts
// to mention it.
const ExpiryWarning = 30 * 24 * time.Hour

// Set is the signing configuration: one pair that signs, and every
// certificate that metadata publishes (the signing one first).
type Set struct {
	Signing   *KeyPair
	Published []*x509.Certificate
	// Keys are every pair, in the order given (Keys[0] is Signing).
	Keys []*KeyPair
}

// NewSet makes a Set: pairs[0] signs; the certificates of all pairs and
// the extra public-only ones are published once each, in that order. Keys
// that are not RSA of at least MinRSABits bits are refused, because AD FS
// refuses them.
func NewSet(pairs []*KeyPair, extraPublished []*x509.Certificate) (*Set, error) {
	if len(pairs) == 0 {
		return nil, errors.New("certs: no signing key configured")
	}
	s := &Set{Signing: pairs[0], Keys: pairs}
	for i, p := range pairs {
		if p == nil || p.Key == nil || p.Certificate == nil {
			return nil, fmt.Errorf("certs: signing key %d is incomplete", i+1)
		}
		if err := checkStrength(p.Certificate); err != nil {
			return nil, fmt.Errorf("certs: signing key %d: %w", i+1, err)
		}
		if matching(p.Key, []*x509.Certificate{p.Certificate}) == nil {
			return nil, fmt.Errorf("certs: signing key %d does not belong to its certificate", i+1)
		}
		s.publish(p.Certificate)
	}
	for i, c := range extraPublished {
		if c == nil {
			return nil, fmt.Errorf("certs: published certificate %d is missing", i+1)
		}
		if err := checkStrength(c); err != nil {
			return nil, fmt.Errorf("certs: published certificate %d (%s): %w", i+1, ThumbprintSHA1(c), err)
		}
		s.publish(c)
	}
	return s, nil
}

func (s *Set) publish(c *x509.Certificate) {
	for _, p := range s.Published {
		if bytes.Equal(p.Raw, c.Raw) {
			return
		}
	}
	s.Published = append(s.Published, c)
}

func checkStrength(c *x509.Certificate) error {
	pub, ok := c.PublicKey.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("the key is %T, but AD FS accepts only RSA token-signing keys", c.PublicKey)
	}
	if bits := pub.N.BitLen(); bits < MinRSABits {
		return fmt.Errorf("the RSA key has %d bits; at least %d are required", bits, MinRSABits)
	}
	return nil
}

// Warnings lists what an administrator should act on at time now:
// certificates that are expired, expire within ExpiryWarning, or are not
// yet valid. AD FS does not refuse an expired claims provider signing
// certificate by itself, so these are warnings, not errors.
func (s *Set) Warnings(now time.Time) []string {
	var out []string
	for i, c := range s.Published {
		role := "published certificate"
		if i == 0 {
			role = "signing certificate"
		}
		name := fmt.Sprintf("%s %q (SHA-1 thumbprint %s)", role, c.Subject.CommonName, ThumbprintSHA1(c))
		switch {
		case now.After(c.NotAfter):
			out = append(out, fmt.Sprintf("%s expired on %s", name, c.NotAfter.UTC().Format(time.DateOnly)))
		case c.NotAfter.Sub(now) <= ExpiryWarning:
			days := int((c.NotAfter.Sub(now) + 24*time.Hour - 1) / (24 * time.Hour)) // rounded up
			out = append(out, fmt.Sprintf("%s expires on %s, in %d days: roll a new key over", name, c.NotAfter.UTC().Format(time.DateOnly), days))
		case now.Before(c.NotBefore):
			out = append(out, fmt.Sprintf("%s is not valid before %s", name, c.NotBefore.UTC().Format(time.RFC3339)))
		}
	}
	return out
}
