package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/claimgate/claimgate/internal/store"
)

// errRefused rolls back a UseFactorCode that found the code used or the
// enrolment code missing: an answer, not a failure.
var errRefused = errors.New("refused")

// UseFactorCode is one transaction with the default (synchronous) commit:
// the enrolment code's DELETE, the factor's compare-and-set (updateUseSQL's
// rule: a concurrent one waits for this and then finds the row moved), and
// the used-code INSERT. Any refusal rolls back all of it, and the whole
// waits for one WAL flush instead of two to four.
func (s *DB) UseFactorCode(ctx context.Context, u store.CodeUse) (bool, error) {
	if err := store.CheckCodeUse(u); err != nil {
		return false, err
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if u.EnrolmentCode != nil {
			tag, err := tx.Exec(ctx, `DELETE FROM enrolment_codes WHERE code_hash = $1 AND user_name = $2 AND expires_at > $3`,
				u.EnrolmentCode, u.User, unixNano(u.When))
			if err != nil {
				return err
			}
			if tag.RowsAffected() != 1 {
				return errRefused
			}
		}
		var updated, exists bool
		if err := tx.QueryRow(ctx, useCodeSQL, int64(u.Next.Counter), u.Next.LastStep, unixNano(u.When),
			u.FactorID, int64(u.Prev.Counter), u.Prev.LastStep, u.Confirm).Scan(&updated, &exists); err != nil {
			return err
		}
		switch {
		case !exists:
			return store.ErrNotFound
		case !updated:
			return store.ErrConflict
		}
		tag, err := tx.Exec(ctx, `INSERT INTO used_codes (user_name, factor_id, fingerprint, expires_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT (user_name, factor_id, fingerprint) DO NOTHING`,
			u.User, u.FactorID, u.Fingerprint, unixNano(u.Expires))
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return errRefused
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

// useCodeSQL is updateUseSQL that may also confirm the factor.
const useCodeSQL = `WITH u AS (
		UPDATE factors SET counter = $1, last_step = $2, last_used_at = $3, confirmed = confirmed OR $7
		WHERE id = $4 AND counter = $5 AND last_step = $6
		RETURNING 1)
	SELECT EXISTS (SELECT 1 FROM u), EXISTS (SELECT 1 FROM factors WHERE id = $4)`
