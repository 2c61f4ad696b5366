package certs

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
)

// ErrKeyHeld is what a held key's Sign returns: its private key is in a
// hardware security module, and only the signer opened for it (package
// internal/signer, signing.signer: pkcs11) can sign.
var ErrKeyHeld = errors.New("certs: the private key is held in a hardware security module; sign through the configured signer (signing.signer: pkcs11)")

// heldKey stands for a private key claimgate does not hold. It knows the
// public key, so a Set can check and publish the certificate as for any
// pair, and refuses to sign.
type heldKey struct{ pub crypto.PublicKey }

func (k heldKey) Public() crypto.PublicKey { return k.pub }

func (heldKey) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) { return nil, ErrKeyHeld }

// CertificateOnly is the KeyPair of a certificate whose private key stays
// in a hardware security module: a certificate-only source. Its Key has
// the certificate's public key and refuses to sign (ErrKeyHeld).
func CertificateOnly(cert *x509.Certificate) (*KeyPair, error) {
	if cert == nil {
		return nil, errors.New("certs: certificate-only key: no certificate")
	}
	if cert.PublicKey == nil {
		return nil, fmt.Errorf("certs: certificate %s has no public key", ThumbprintSHA1(cert))
	}
	return &KeyPair{Key: heldKey{pub: cert.PublicKey}, Certificate: cert}, nil
}

// Held reports whether kp's private key is held elsewhere (CertificateOnly).
func (kp *KeyPair) Held() bool {
	_, ok := kp.Key.(heldKey)
	return ok
}
