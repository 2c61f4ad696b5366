package sqlitestore

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"
)

// UseCode inserts the record unless it exists; the primary key makes the
// first insert win even across processes, and the row outlives restarts.
func (s *DB) UseCode(ctx context.Context, user, factorID, fingerprint string, expires time.Time) (bool, error) {
	res, err := s.exec(ctx, durable, `INSERT INTO used_codes (user_name, factor_id, fingerprint, expires_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (user_name, factor_id, fingerprint) DO NOTHING`,
		user, factorID, fingerprint, unixNano(expires))
	if err != nil {
		return false, fmt.Errorf("store: use code: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

// IssueEnrolmentCode replaces the user's enrolment code: one outstanding code
// per user keeps the number of live codes small.
func (s *DB) IssueEnrolmentCode(ctx context.Context, user string, hash []byte, expires time.Time) error {
	if len(hash) != sha256.Size {
		return fmt.Errorf("store: enrolment code hash must be %d bytes (SHA-256), got %d", sha256.Size, len(hash))
	}
	return s.writeTx(ctx, durable, func(c wconn) error {
		if _, err := c.exec(`DELETE FROM enrolment_codes WHERE user_name = ?`, user); err != nil {
			return err
		}
		_, err := c.exec(`INSERT INTO enrolment_codes (code_hash, user_name, expires_at) VALUES (?, ?, ?)`,
			hash, user, unixNano(expires))
		return mapErr(err)
	})
}

// ConsumeEnrolmentCode is one DELETE: of two concurrent consumers only one
// sees a deleted row.
func (s *DB) ConsumeEnrolmentCode(ctx context.Context, user string, hash []byte, now time.Time) (bool, error) {
	res, err := s.exec(ctx, durable, `DELETE FROM enrolment_codes WHERE code_hash = ? AND user_name = ? AND expires_at > ?`,
		hash, user, unixNano(now))
	if err != nil {
		return false, fmt.Errorf("store: consume enrolment code: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Cleanup deletes what has expired at now. Failure counters and lock records
// are kept for keep after they stop mattering, because lock levels grow.
// The deletes are relaxed commits, one each, so a long cleanup never holds
// the writer from the sign-ins for long: a delete undone by a power cut is
// done again next time.
func (s *DB) Cleanup(ctx context.Context, now time.Time, keep time.Duration) (int64, error) {
	n := unixNano(now)
	old := unixNano(now.Add(-keep))
	stmts := []struct {
		q   string
		arg int64
	}{
		{`DELETE FROM used_codes WHERE expires_at <= ?`, n},
		{`DELETE FROM sessions WHERE expires_at <= ?`, n},
		{`DELETE FROM enrolment_codes WHERE expires_at <= ?`, n},
		{`DELETE FROM sms_codes WHERE expires_at <= ?`, n},
		{`DELETE FROM leases WHERE expires_at <= ?`, n},
		{`DELETE FROM failures WHERE window_start <= ?`, old},
		{`DELETE FROM locks WHERE until_at <= ?`, old},
	}
	var total int64
	if s.leases != nil {
		// A serving DB's leases are in memory; the table's rows are
		// those of earlier runs without the serve lock.
		total += s.leases.cleanup(n)
	}
	if s.sessions != nil {
		s.sessions.expire(n)
	}
	for _, st := range stmts {
		res, err := s.exec(ctx, relaxed, st.q, st.arg)
		if err != nil {
			return total, fmt.Errorf("store: cleanup: %w", err)
		}
		k, _ := res.RowsAffected()
		total += k
	}
	return total, nil
}
