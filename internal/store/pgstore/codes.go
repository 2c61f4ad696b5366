package pgstore

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"
)

// UseCode inserts the record unless it exists. Of concurrent inserts of
// one key PostgreSQL lets one in and makes the others wait for it, then
// do nothing: exactly one caller sees a new row, on any instance.
func (s *DB) UseCode(ctx context.Context, user, factorID, fingerprint string, expires time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO used_codes (user_name, factor_id, fingerprint, expires_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (user_name, factor_id, fingerprint) DO NOTHING`,
		user, factorID, fingerprint, unixNano(expires))
	if err != nil {
		return false, fmt.Errorf("store: use code: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// UseStep is one upsert whose update happens only for a later step. The
// conflicting row is locked and its WHERE evaluated against the newest
// version, so the compare and the write are atomic across instances: a
// new row and a moved row count one change, a step that is not later none.
func (s *DB) UseStep(ctx context.Context, user, factorID string, step int64) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO totp_last_steps (user_name, factor_id, step) VALUES ($1, $2, $3)
		ON CONFLICT (user_name, factor_id) DO UPDATE SET step = excluded.step WHERE excluded.step > totp_last_steps.step`,
		user, factorID, step)
	if err != nil {
		return false, fmt.Errorf("store: use step: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// IssueEnrolmentCode replaces the user's enrolment code in one upsert (the
// user is the key): one outstanding code per user, even when two instances
// issue at once.
func (s *DB) IssueEnrolmentCode(ctx context.Context, user string, hash []byte, expires time.Time) error {
	if len(hash) != sha256.Size {
		return fmt.Errorf("store: enrolment code hash must be %d bytes (SHA-256), got %d", sha256.Size, len(hash))
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO enrolment_codes (user_name, code_hash, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_name) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at`,
		user, hash, unixNano(expires))
	if err != nil {
		return fmt.Errorf("store: issue enrolment code: %w", mapErr(err))
	}
	return nil
}

// ConsumeEnrolmentCode is one DELETE: of two concurrent consumers only one
// sees a deleted row.
func (s *DB) ConsumeEnrolmentCode(ctx context.Context, user string, hash []byte, now time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM enrolment_codes WHERE code_hash = $1 AND user_name = $2 AND expires_at > $3`,
		hash, user, unixNano(now))
	if err != nil {
		return false, fmt.Errorf("store: consume enrolment code: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// Cleanup deletes what has expired at now. Failure counters and lock records
// are kept for keep after they stop mattering, because lock levels grow.
func (s *DB) Cleanup(ctx context.Context, now time.Time, keep time.Duration) (int64, error) {
	n := unixNano(now)
	old := unixNano(now.Add(-keep))
	stmts := []struct {
		q   string
		arg int64
	}{
		{`DELETE FROM used_codes WHERE expires_at <= $1`, n},
		{`DELETE FROM sessions WHERE expires_at <= $1`, n},
		{`DELETE FROM enrolment_codes WHERE expires_at <= $1`, n},
		{`DELETE FROM sms_codes WHERE expires_at <= $1`, n},
		{`DELETE FROM failures WHERE window_start <= $1`, old},
		{`DELETE FROM locks WHERE until_at <= $1`, old},
	}
	var total int64
	for _, st := range stmts {
		tag, err := s.relaxedExec(ctx, s.pool, st.q, st.arg)
		if err != nil {
			return total, fmt.Errorf("store: cleanup: %w", err)
		}
		total += tag.RowsAffected()
	}
	k, err := s.cleanupLeases(ctx)
	return total + k, err
}
