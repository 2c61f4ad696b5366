package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/claimgate/claimgate/internal/store"
)

// errRefused rolls back a UseFactorCode that found the code used or the
// enrolment code missing: an answer, not a failure.
var errRefused = errors.New("refused")

// UseFactorCode is one IMMEDIATE transaction committed durably: the
// enrolment code's DELETE, the factor's compare-and-set (which confirms
// it too when asked) and the used-code INSERT. Any refusal rolls back
// all of it, so nothing is half recorded, and the whole costs one flush.
func (s *DB) UseFactorCode(ctx context.Context, u store.CodeUse) (bool, error) {
	if err := store.CheckCodeUse(u); err != nil {
		return false, err
	}
	err := s.writeTx(ctx, durable, func(c wconn) error {
		if u.EnrolmentCode != nil {
			res, err := c.exec(`DELETE FROM enrolment_codes WHERE code_hash = ? AND user_name = ? AND expires_at > ?`,
				u.EnrolmentCode, u.User, unixNano(u.When))
			if n, err := rows(res, err); err != nil || n != 1 {
				return orRefused(err)
			}
		}
		res, err := c.exec(`UPDATE factors SET counter = ?, last_step = ?, last_used_at = ?, confirmed = confirmed OR ?
			WHERE id = ? AND counter = ? AND last_step = ?`,
			int64(u.Next.Counter), u.Next.LastStep, unixNano(u.When), boolInt(u.Confirm),
			u.FactorID, int64(u.Prev.Counter), u.Prev.LastStep)
		n, err := rows(res, err)
		if err != nil {
			return err
		}
		if n != 1 {
			// Tell "gone" from "someone else moved it first".
			var one int
			if err := c.queryRow(`SELECT 1 FROM factors WHERE id = ?`, u.FactorID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
				return store.ErrNotFound
			}
			return store.ErrConflict
		}
		res, err = c.exec(`INSERT INTO used_codes (user_name, factor_id, fingerprint, expires_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (user_name, factor_id, fingerprint) DO NOTHING`,
			u.User, u.FactorID, u.Fingerprint, unixNano(u.Expires))
		if n, err := rows(res, err); err != nil || n != 1 {
			return orRefused(err)
		}
		return nil
	})
	switch {
	case errors.Is(err, errRefused):
		return false, nil
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConflict):
		return false, err
	case err != nil:
		return false, fmt.Errorf("store: use factor code: %w", err)
	}
	return true, nil
}

// rows is the count of rows a statement changed.
func rows(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// orRefused is err, or errRefused when there is none (nothing matched).
func orRefused(err error) error {
	if err != nil {
		return err
	}
	return errRefused
}
