package certs

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"
)

// Defaults for Generate.
const (
	// DefaultBits is the RSA key size: what AD FS itself generates, and
	// the minimum it accepts.
	DefaultBits = 2048
	// DefaultValidFor is two years. AD FS's own self-signed token-signing
	// certificates last one year; a claims provider certificate must be
	// rolled over by hand on the AD FS side unless it monitors our
	// metadata, so claimgate picks a longer default.
	DefaultValidFor = 2 * 365 * 24 * time.Hour
	// DefaultCommonName is the subject when none is given.
	DefaultCommonName = "claimgate token signing"
	// backdate keeps a freshly made certificate valid on a verifier whose
	// clock is a little behind ours.
	backdate = 5 * time.Minute
	maxBits  = 8192
)

// GenerateOptions says what certificate Generate makes. Zero values take
// the defaults above; Now and Rand default to the real clock and
// crypto/rand.
type GenerateOptions struct {
	CommonName string
	Bits       int
	ValidFor   time.Duration
	Now        func() time.Time
	Rand       io.Reader
}

// Generate makes a self-signed RSA token-signing certificate signed with
// SHA-256, for digital signatures only, with a random positive serial.
// (Since Go 1.26 crypto/rsa draws key material from the system's secure
// source whatever Rand is; Rand still feeds the serial number.)
func Generate(opts GenerateOptions) (*KeyPair, error) {
	if opts.Bits == 0 {
		opts.Bits = DefaultBits
	}
	if opts.Bits < 2048 || opts.Bits > maxBits {
		return nil, fmt.Errorf("certs: key size %d bits: must be between 2048 and %d", opts.Bits, maxBits)
	}
	if opts.ValidFor == 0 {
		opts.ValidFor = DefaultValidFor
	}
	if opts.ValidFor < 0 {
		return nil, errors.New("certs: validity must be positive")
	}
	if opts.CommonName == "" {
		opts.CommonName = DefaultCommonName
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	rnd := opts.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	key, err := rsa.GenerateKey(rnd, opts.Bits)
	if err != nil {
		return nil, fmt.Errorf("certs: generate key: %w", err)
	}
	serial, err := randomSerial(rnd)
	if err != nil {
		return nil, err
	}
	spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("certs: marshal public key: %w", err)
	}
	ski := sha1.Sum(spki)
	t := now().UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: opts.CommonName},
		NotBefore:             t.Add(-backdate),
		NotAfter:              t.Add(opts.ValidFor),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		SubjectKeyId:          ski[:],
		SignatureAlgorithm:    x509.SHA256WithRSA,
	}
	der, err := x509.CreateCertificate(rnd, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("certs: create certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("certs: parse new certificate: %w", err)
	}
	return &KeyPair{Key: key, Certificate: cert}, nil
}

// randomSerial returns a positive 127-bit serial (RFC 5280 allows 20 octets;
// the top bit is cleared so the DER integer stays positive).
func randomSerial(r io.Reader) (*big.Int, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("certs: serial number: %w", err)
	}
	b[0] &= 0x7f
	b[0] |= 0x40 // never zero, and always 16 octets long
	return new(big.Int).SetBytes(b), nil
}
