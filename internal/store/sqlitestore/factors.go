package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/claimgate/claimgate/internal/store"
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
	secret, err := s.sealOptional(f.Secret, factorAD(f.ID, f.User, "secret"))
	if err != nil {
		return store.Factor{}, err
	}
	phone, err := s.sealOptional([]byte(f.Phone), factorAD(f.ID, f.User, "phone"))
	if err != nil {
		return store.Factor{}, err
	}
	_, err = s.exec(ctx, durable, `INSERT INTO factors (`+factorCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.User, f.Kind, f.Name, secret, f.Algorithm, f.Digits, int64(f.Period), int64(f.Counter), f.LastStep,
		phone, f.SerialNo, unixNano(f.CreatedAt), unixNano(f.LastUsedAt), boolInt(f.Confirmed))
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
	rows, err := s.r.query(ctx, `SELECT `+factorCols+` FROM factors WHERE user_name = ? ORDER BY created_at, id`, user)
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
	return out, rows.Err()
}

// Factor returns one factor or store.ErrNotFound.
func (s *DB) Factor(ctx context.Context, id string) (store.Factor, error) {
	f, err := s.scanFactor(s.r.queryRow(ctx, `SELECT `+factorCols+` FROM factors WHERE id = ?`, id))
	if err != nil {
		return store.Factor{}, fmt.Errorf("store: factor %q: %w", id, err)
	}
	return f, nil
}

func (s *DB) scanFactor(r interface{ Scan(...any) error }) (store.Factor, error) {
	var f store.Factor
	var secret, phone []byte
	var period, counter, created, used int64
	var confirmed int
	err := r.Scan(&f.ID, &f.User, &f.Kind, &f.Name, &secret, &f.Algorithm, &f.Digits, &period, &counter, &f.LastStep,
		&phone, &f.SerialNo, &created, &used, &confirmed)
	if err != nil {
		return store.Factor{}, mapErr(err)
	}
	f.Period, f.Counter = time.Duration(period), uint64(counter)
	f.CreatedAt, f.LastUsedAt, f.Confirmed = fromNano(created), fromNano(used), confirmed != 0
	if secret != nil || phone != nil {
		if s.seal == nil {
			return store.Factor{}, store.ErrNoKey
		}
	}
	if secret != nil {
		if f.Secret, err = s.seal.Open(secret, factorAD(f.ID, f.User, "secret")); err != nil {
			return store.Factor{}, err
		}
	}
	if phone != nil {
		p, err := s.seal.Open(phone, factorAD(f.ID, f.User, "phone"))
		if err != nil {
			return store.Factor{}, err
		}
		f.Phone = string(p)
	}
	return f, nil
}

// ConfirmFactor marks a factor as proven.
func (s *DB) ConfirmFactor(ctx context.Context, id string) error {
	return affectedOne(s.exec(ctx, durable, `UPDATE factors SET confirmed = 1 WHERE id = ?`, id))
}

// DeleteFactor removes a factor.
func (s *DB) DeleteFactor(ctx context.Context, id string) error {
	return affectedOne(s.exec(ctx, durable, `DELETE FROM factors WHERE id = ?`, id))
}

// UpdateFactorUse is a single conditional UPDATE: the WHERE clause is the
// compare, so SQLite's write lock makes compare-and-set atomic across
// connections and processes.
func (s *DB) UpdateFactorUse(ctx context.Context, id string, prev, next store.FactorUse, when time.Time) error {
	if next.Counter < prev.Counter || next.LastStep < prev.LastStep {
		return errors.New("store: factor use may not go backwards")
	}
	if next.Counter > math.MaxInt64 || prev.Counter > math.MaxInt64 {
		return errors.New("store: HOTP counter out of range")
	}
	res, err := s.exec(ctx, durable, `UPDATE factors SET counter = ?, last_step = ?, last_used_at = ?
		WHERE id = ? AND counter = ? AND last_step = ?`,
		int64(next.Counter), next.LastStep, unixNano(when), id, int64(prev.Counter), prev.LastStep)
	if err != nil {
		return fmt.Errorf("store: update factor use: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 1 {
		return nil
	}
	// Tell "gone" from "someone else moved it first".
	var one int
	if err := s.r.queryRow(ctx, `SELECT 1 FROM factors WHERE id = ?`, id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return store.ErrConflict
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
