package sqlitestore

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"github.com/claimgate/claimgate/internal/store"
)

// KeySize is the length of the configured encryption key.
const KeySize = 32

// sealVersion prefixes every sealed value so the format can change later;
// plainVersion marks session data stored without a key.
const (
	plainVersion byte = 0
	sealVersion  byte = 1
)

// HKDF labels: the data key and the verifier are independent of each other,
// and the verifier reveals nothing about the data key.
const (
	dataKeyInfo  = "claimgate store data key v1"
	verifierInfo = "claimgate store key verifier v1"
	verifierName = "key_verifier"
)

type sealer struct {
	aead     cipher.AEAD
	verifier []byte
	rand     io.Reader
}

func newSealer(key []byte, rand io.Reader) (*sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("store: the encryption key must be %d bytes, got %d", KeySize, len(key))
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
	return &sealer{aead: aead, verifier: ver, rand: rand}, nil
}

// seal encrypts plain bound to ad: version || nonce || ciphertext+tag.
func (k *sealer) seal(plain []byte, ad string) ([]byte, error) {
	ns := k.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plain)+k.aead.Overhead())
	out[0] = sealVersion
	if _, err := io.ReadFull(k.rand, out[1:]); err != nil {
		return nil, fmt.Errorf("store: nonce: %w", err)
	}
	return k.aead.Seal(out, out[1:1+ns], plain, []byte(ad)), nil
}

// errCorrupt hides the AEAD detail: a failure means a wrong key or a row that
// was tampered with or moved.
var errCorrupt = errors.New("store: encrypted value does not decrypt (wrong key, or the row was altered or moved)")

func (k *sealer) open(blob []byte, ad string) ([]byte, error) {
	ns := k.aead.NonceSize()
	if len(blob) < 1+ns+k.aead.Overhead() || blob[0] != sealVersion {
		return nil, errCorrupt
	}
	plain, err := k.aead.Open(nil, blob[1:1+ns], blob[1+ns:], []byte(ad))
	if err != nil {
		return nil, errCorrupt
	}
	return plain, nil
}

// checkKey compares the configured key with the verifier stored when the
// database first saw a key, storing it on first use. It is one IMMEDIATE
// transaction so two processes opening a new database agree on one verifier.
func (s *DB) checkKey(ctx context.Context) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var stored []byte
		err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = ?`, verifierName).Scan(&stored)
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var nFactors int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM factors`).Scan(&nFactors); err != nil {
			return err
		}
		switch {
		case s.seal == nil && (exists || nFactors > 0):
			return store.ErrKeyMissing
		case s.seal == nil:
			return nil
		case exists:
			if subtle.ConstantTimeCompare(stored, s.seal.verifier) != 1 {
				return store.ErrKeyMismatch
			}
			return nil
		}
		// A key but no verifier: a new database, or one whose verifier was
		// lost. In the latter case prove the key on an existing secret first.
		if nFactors > 0 {
			var id, user string
			var secret []byte
			if err := tx.QueryRowContext(ctx, `SELECT id, user_name, secret FROM factors WHERE secret IS NOT NULL LIMIT 1`).
				Scan(&id, &user, &secret); err == nil {
				if _, err := s.seal.open(secret, factorAD(id, user, "secret")); err != nil {
					return store.ErrKeyMismatch
				}
			} else if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO meta (name, value) VALUES (?, ?)`, verifierName, s.seal.verifier)
		return err
	})
}

// factorAD binds a sealed factor column to its row and owner.
func factorAD(id, user, column string) string {
	return fmt.Sprintf("factor/%q/%q/%s", id, user, column)
}
