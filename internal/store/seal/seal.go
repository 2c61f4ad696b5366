// Package seal is the encryption at rest every store driver uses: AES-256-GCM
// with a data key derived from the configured key by HKDF, each value bound
// to its row by associated data, and a key verifier (also derived by HKDF,
// revealing nothing about the data key) that a driver stores once so a wrong
// key is refused at start rather than failing later row by row.
//
// A sealed value is version || nonce || ciphertext+tag. The version byte lets
// the format change later; PlainVersion marks a value stored without a key
// (sessions only).
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
)

// KeySize is the length of the configured encryption key.
const KeySize = 32

// Format versions: the first byte of every stored blob.
const (
	PlainVersion byte = 0
	SealVersion  byte = 1
)

// HKDF labels: the data key and the verifier are independent of each other.
const (
	dataKeyInfo  = "claimgate store data key v1"
	verifierInfo = "claimgate store key verifier v1"
)

// VerifierName is the name under which drivers keep the verifier.
const VerifierName = "key_verifier"

// ErrCorrupt hides the AEAD detail: a failure means a wrong key or a row that
// was tampered with or moved.
var ErrCorrupt = errors.New("store: encrypted value does not decrypt (wrong key, or the row was altered or moved)")

// Sealer seals and opens values with one key.
type Sealer struct {
	aead     cipher.AEAD
	verifier []byte
	rand     io.Reader
}

// New derives the data key and verifier from key (KeySize bytes). rand is the
// nonce source; nil means crypto/rand.
func New(key []byte, r io.Reader) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("store: the encryption key must be %d bytes, got %d", KeySize, len(key))
	}
	if r == nil {
		r = rand.Reader
	}
	dk, err := hkdf.Key(sha256.New, key, nil, dataKeyInfo, 32)
	if err != nil {
		return nil, err
	}
	ver, err := hkdf.Key(sha256.New, key, nil, verifierInfo, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(dk)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead, verifier: ver, rand: r}, nil
}

// Seal encrypts plain bound to ad.
func (k *Sealer) Seal(plain []byte, ad string) ([]byte, error) {
	ns := k.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plain)+k.aead.Overhead())
	out[0] = SealVersion
	if _, err := io.ReadFull(k.rand, out[1:]); err != nil {
		return nil, fmt.Errorf("store: nonce: %w", err)
	}
	return k.aead.Seal(out, out[1:1+ns], plain, []byte(ad)), nil
}

// Open decrypts blob sealed with ad; ErrCorrupt for anything else.
func (k *Sealer) Open(blob []byte, ad string) ([]byte, error) {
	ns := k.aead.NonceSize()
	if len(blob) < 1+ns+k.aead.Overhead() || blob[0] != SealVersion {
		return nil, ErrCorrupt
	}
	plain, err := k.aead.Open(nil, blob[1:1+ns], blob[1+ns:], []byte(ad))
	if err != nil {
		return nil, ErrCorrupt
	}
	return plain, nil
}

// Verifier is the value a driver stores to recognise the key later.
func (k *Sealer) Verifier() []byte { return append([]byte(nil), k.verifier...) }

// Matches compares a stored verifier with this key's, in constant time.
func (k *Sealer) Matches(stored []byte) bool {
	return subtle.ConstantTimeCompare(stored, k.verifier) == 1
}

// FactorAD binds a sealed factor column to its row and owner.
func FactorAD(id, user, column string) string {
	return fmt.Sprintf("factor/%q/%q/%s", id, user, column)
}

// SessionAD binds sealed session data to its (hashed) id, given in hex.
func SessionAD(idHashHex string) string { return "session/" + idHashHex }
