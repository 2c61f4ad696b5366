package sqlitestore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/seal"
)

// KeySize is the length of the configured encryption key.
const KeySize = seal.KeySize

// The format versions of stored blobs (package seal).
const (
	plainVersion = seal.PlainVersion
	verifierName = seal.VerifierName
)

var errCorrupt = seal.ErrCorrupt

// checkKey compares the configured key with the verifier stored when the
// database first saw a key, storing it on first use. It is one IMMEDIATE
// transaction so two processes opening a new database agree on one verifier.
func (s *DB) checkKey(ctx context.Context) error {
	return s.writeTx(ctx, durable, func(c wconn) error {
		var stored []byte
		err := c.queryRow(`SELECT value FROM meta WHERE name = ?`, verifierName).Scan(&stored)
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var nFactors int
		if err := c.queryRow(`SELECT COUNT(*) FROM factors`).Scan(&nFactors); err != nil {
			return err
		}
		switch {
		case s.seal == nil && (exists || nFactors > 0):
			return store.ErrKeyMissing
		case s.seal == nil:
			return nil
		case exists:
			if !s.seal.Matches(stored) {
				return store.ErrKeyMismatch
			}
			return nil
		}
		// A key but no verifier: a new database, or one whose verifier was
		// lost. In the latter case prove the key on an existing secret first.
		if nFactors > 0 {
			var id, user string
			var secret []byte
			if err := c.queryRow(`SELECT id, user_name, secret FROM factors WHERE secret IS NOT NULL LIMIT 1`).
				Scan(&id, &user, &secret); err == nil {
				if _, err := s.seal.Open(secret, factorAD(id, user, "secret")); err != nil {
					return store.ErrKeyMismatch
				}
			} else if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		_, err = c.exec(`INSERT INTO meta (name, value) VALUES (?, ?)`, verifierName, s.seal.Verifier())
		return err
	})
}

// factorAD binds a sealed factor column to its row and owner.
func factorAD(id, user, column string) string { return seal.FactorAD(id, user, column) }
