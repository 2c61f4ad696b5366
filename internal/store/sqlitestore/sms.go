package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

// TakeSMSSend reads the pending code and writes the new state in one
// IMMEDIATE transaction: SQLite's write lock is taken at BEGIN, so two
// connections or processes cannot both read the state before a send.
func (s *DB) TakeSMSSend(ctx context.Context, user, factorID, hash string, now time.Time, lim store.SMSLimits) (store.SMSSend, error) {
	if hash == "" {
		return store.SMSSend{}, errors.New("store: empty SMS code hash")
	}
	var out store.SMSSend
	err := s.writeTx(ctx, durable, func(c wconn) error {
		var cur store.PendingSMS
		var exp, last int64
		err := c.queryRow(`SELECT code_hash, expires_at, sends, last_sent_at FROM sms_codes
			WHERE user_name = ? AND factor_id = ?`, user, factorID).Scan(&cur.Hash, &exp, &cur.Sends, &last)
		found := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		cur.Expires, cur.LastSent = fromNano(exp), fromNano(last)
		out = store.DecideSMSSend(cur, found, hash, now, lim)
		if !out.Taken {
			return nil
		}
		p := out.Pending
		_, err = c.exec(`INSERT INTO sms_codes (user_name, factor_id, code_hash, expires_at, sends, last_sent_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (user_name, factor_id) DO UPDATE SET code_hash = excluded.code_hash,
				expires_at = excluded.expires_at, sends = excluded.sends, last_sent_at = excluded.last_sent_at`,
			user, factorID, p.Hash, unixNano(p.Expires), p.Sends, unixNano(p.LastSent))
		return err
	})
	if err != nil {
		return store.SMSSend{}, fmt.Errorf("store: take SMS send: %w", err)
	}
	return out, nil
}

// UndoSMSSend restores prev only while hash is still the pending code.
// Relaxed: an undo lost to a power cut leaves the send counted, the safe
// side.
func (s *DB) UndoSMSSend(ctx context.Context, user, factorID, hash string, prev store.PendingSMS) error {
	var err error
	if prev.Hash == "" {
		_, err = s.exec(ctx, relaxed, `DELETE FROM sms_codes WHERE user_name = ? AND factor_id = ? AND code_hash = ?`,
			user, factorID, hash)
	} else {
		_, err = s.exec(ctx, relaxed, `UPDATE sms_codes SET code_hash = ?, expires_at = ?, sends = ?, last_sent_at = ?
			WHERE user_name = ? AND factor_id = ? AND code_hash = ?`,
			prev.Hash, unixNano(prev.Expires), prev.Sends, unixNano(prev.LastSent), user, factorID, hash)
	}
	if err != nil {
		return fmt.Errorf("store: undo SMS send: %w", err)
	}
	return nil
}

// ConsumeSMSCode is one DELETE: of two concurrent consumers only one sees
// a deleted row.
func (s *DB) ConsumeSMSCode(ctx context.Context, user, factorID, hash string, now time.Time) (bool, error) {
	res, err := s.exec(ctx, durable, `DELETE FROM sms_codes WHERE user_name = ? AND factor_id = ? AND code_hash = ? AND expires_at > ?`,
		user, factorID, hash, unixNano(now))
	if err != nil {
		return false, fmt.Errorf("store: consume SMS code: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
