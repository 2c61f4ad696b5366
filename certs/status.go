package certs

import (
	"bytes"
	"crypto/x509"
	"time"
)

// Expiry is where a certificate stands in its validity period.
type Expiry int

const (
	// Valid: valid now, and for more than ExpiryWarning.
	Valid Expiry = iota
	// ExpiresSoon: valid now, but for ExpiryWarning or less.
	ExpiresSoon
	// Expired: past its NotAfter.
	Expired
	// NotYetValid: before its NotBefore.
	NotYetValid
)

func (e Expiry) String() string {
	switch e {
	case ExpiresSoon:
		return "WARNING"
	case Expired:
		return "EXPIRED"
	case NotYetValid:
		return "NOT YET VALID"
	}
	return "OK"
}

// CheckExpiry says where c stands at now, and how many days it has left,
// counting a started day as a whole one (0 or less once expired, then
// minus the whole days since).
func CheckExpiry(c *x509.Certificate, now time.Time) (Expiry, int) {
	left := c.NotAfter.Sub(now)
	days := int(left / (24 * time.Hour))
	if left > 0 && left%(24*time.Hour) != 0 {
		days++ // rounded up, as Warnings says it
	}
	switch {
	case now.After(c.NotAfter):
		return Expired, days
	case now.Before(c.NotBefore):
		return NotYetValid, days
	case left <= ExpiryWarning:
		return ExpiresSoon, days
	}
	return Valid, days
}

// Role is what the set does with a published certificate.
type Role int

const (
	// Signs: the certificate of Signing; tokens and metadata are signed
	// with its key.
	Signs Role = iota
	// PublishedWithKey: a pair that does not sign (yet, or any more).
	PublishedWithKey
	// PublishedOnly: a certificate without its key here.
	PublishedOnly
)

func (r Role) String() string {
	switch r {
	case Signs:
		return "signs"
	case PublishedWithKey:
		return "published with its key, not signing"
	}
	return "published only (no key here)"
}

// RoleOf says what s does with c.
func (s *Set) RoleOf(c *x509.Certificate) Role {
	if bytes.Equal(c.Raw, s.Signing.Certificate.Raw) {
		return Signs
	}
	for _, p := range s.Keys {
		if bytes.Equal(c.Raw, p.Certificate.Raw) {
			return PublishedWithKey
		}
	}
	return PublishedOnly
}
