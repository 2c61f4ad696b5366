package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/seal"
)

const factorCols = `id, user_name, kind, name, secret, algorithm, digits, period_ns, counter, last_step,
	phone, serial_no, created_at, last_used_at, confirmed`

// AddFactor stores f with its secret and phone sealed. It needs a key.
func (s *DB) AddFactor(ctx context.Context, f store.Factor) (store.Factor, error) {
	if s.seal == nil {
		return store.Factor{}, store.ErrNoKey
	}
	switch f.Kind {
	case store.KindTOTP, store.KindHOTP, store.KindSMS:
	default:
		return store.Factor{}, fmt.Errorf("store: unknown factor kind %q", f.Kind)
	}
	if f.User == "" || f.Name == "" {
		return store.Factor{}, errors.New("store: factor needs a user and a name")
	}
	if f.Counter > math.MaxInt64 {
		return store.Factor{}, errors.New("store: HOTP counter out of range")
	}
	if f.ID == "" {
		id, err := s.newID()
		if err != nil {
			return store.Factor{}, err
		}
		f.ID = id
	}
	if f.CreatedAt.IsZero() {
		f.CreatedAt = s.now()
	}
	f.CreatedAt = f.CreatedAt.UTC()
	secret, err := s.sealOptional(f.Secret, seal.FactorAD(f.ID, f.User, "secret"))
	if err != nil {
		return store.Factor{}, err
	}
	phone, err := s.sealOptional([]byte(f.Phone), seal.FactorAD(f.ID, f.User, "phone"))
	if err != nil {
		return store.Factor{}, err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO factors (`+factorCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		f.ID, f.User, f.Kind, f.Name, secret, f.Algorithm, f.Digits, int64(f.Period), int64(f.Counter), f.LastStep,
		phone, f.SerialNo, unixNano(f.CreatedAt), unixNano(f.LastUsedAt), f.Confirmed)
	if err != nil {
		return store.Factor{}, fmt.Errorf("store: add factor: %w", mapErr(err))
	}
	return f, nil
}

// sealOptional seals non-empty values; empty ones are stored as NULL.
func (s *DB) sealOptional(v []byte, ad string) ([]byte, error) {
	if len(v) == 0 {
		return nil, nil
	}
	return s.seal.Seal(v, ad)
}

// Factors lists a user's factors, oldest first.
func (s *DB) Factors(ctx context.Context, user string) ([]store.Factor, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+factorCols+` FROM factors WHERE user_name = $1 ORDER BY created_at, id`, user)
	if err != nil {
		return nil, fmt.Errorf("store: factors: %w", err)
	}
	defer rows.Close()
	var out []store.Factor
	for rows.Next() {
		f, err := s.scanFactor(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: factors: %w", err)
	}
	return out, nil
}

// Factor returns one factor or store.ErrNotFound.
func (s *DB) Factor(ctx context.Context, id string) (store.Factor, error) {
	f, err := s.scanFactor(s.pool.QueryRow(ctx, `SELECT `+factorCols+` FROM factors WHERE id = $1`, id))
	if err != nil {
		return store.Factor{}, fmt.Errorf("store: factor %q: %w", id, err)
	}
	return f, nil
}

func (s *DB) scanFactor(r pgx.Row) (store.Factor, error) {
	var f store.Factor
	var secret, phone []byte
	var period, counter, created, used int64
	err := r.Scan(&f.ID, &f.User, &f.Kind, &f.Name, &secret, &f.Algorithm, &f.Digits, &period, &counter, &f.LastStep,
		&phone, &f.SerialNo, &created, &used, &f.Confirmed)
	if err != nil {
		return store.Factor{}, mapErr(err)
	}
	f.Period, f.Counter = time.Duration(period), uint64(counter)
	f.CreatedAt, f.LastUsedAt = fromNano(created), fromNano(used)
	if (secret != nil || phone != nil) && s.seal == nil {
		return store.Factor{}, store.ErrNoKey
	}
	if secret != nil {
		if f.Secret, err = s.seal.Open(secret, seal.FactorAD(f.ID, f.User, "secret")); err != nil {
			return store.Factor{}, err
		}
	}
	if phone != nil {
		p, err := s.seal.Open(phone, seal.FactorAD(f.ID, f.User, "phone"))
		if err != nil {
			return store.Factor{}, err
		}
		f.Phone = string(p)
	}
	return f, nil
}

// ConfirmFactor marks a factor as proven.
func (s *DB) ConfirmFactor(ctx context.Context, id string) error {
	return affectedOne(s.pool.Exec(ctx, `UPDATE factors SET confirmed = TRUE WHERE id = $1`, id))
}

// DeleteFactor removes a factor.
func (s *DB) DeleteFactor(ctx context.Context, id string) error {
	return affectedOne(s.pool.Exec(ctx, `DELETE FROM factors WHERE id = $1`, id))
}

// updateUseSQL is the compare-and-set of UpdateFactorUse in one statement.
// Under READ COMMITTED a second UPDATE of the same row waits for the first
// to commit and then re-checks its WHERE against the new row, so of two
// concurrent submissions of one code only one matches. The second column
// tells "gone" from "moved by someone else" without another round trip.
const updateUseSQL = `WITH u AS (
		UPDATE factors SET counter = $1, last_step = $2, last_used_at = $3
		WHERE id = $4 AND counter = $5 AND last_step = $6
		RETURNING 1)
	SELECT EXISTS (SELECT 1 FROM u), EXISTS (SELECT 1 FROM factors WHERE id = $4)`

// UpdateFactorUse moves a factor's use state from prev to next, atomically.
func (s *DB) UpdateFactorUse(ctx context.Context, id string, prev, next store.FactorUse, when time.Time) error {
	if next.Counter < prev.Counter || next.LastStep < prev.LastStep {
		return errors.New("store: factor use may not go backwards")
	}
	if next.Counter > math.MaxInt64 || prev.Counter > math.MaxInt64 {
		return errors.New("store: HOTP counter out of range")
	}
	var updated, exists bool
	err := s.pool.QueryRow(ctx, updateUseSQL, int64(next.Counter), next.LastStep, unixNano(when),
		id, int64(prev.Counter), prev.LastStep).Scan(&updated, &exists)
	switch {
	case err != nil:
		return fmt.Errorf("store: update factor use: %w", err)
	case updated:
		return nil
	case !exists:
		return store.ErrNotFound
	}
	return store.ErrConflict
}
