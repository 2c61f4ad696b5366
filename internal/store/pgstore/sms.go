package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/claimgate/claimgate/internal/store"
)

// smsLockKey names the advisory lock of one user's pending code.
func smsLockKey(user, factorID string) string { return "sms\x00" + user + "\x00" + factorID }

// TakeSMSSend reads the pending code, applies store.DecideSMSSend and
// writes the new state in one transaction that first takes the code's
// advisory lock: a row lock alone would not cover the first send, when
// there is no row yet, and two instances could both start a code.
func (s *DB) TakeSMSSend(ctx context.Context, user, factorID, hash string, now time.Time, lim store.SMSLimits) (store.SMSSend, error) {
	if hash == "" {
		return store.SMSSend{}, errors.New("store: empty SMS code hash")
	}
	var out store.SMSSend
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockKeys(ctx, tx, smsLockKey(user, factorID)); err != nil {
			return err
		}
		var cur store.PendingSMS
		var exp, last int64
		err := tx.QueryRow(ctx, `SELECT code_hash, expires_at, sends, last_sent_at FROM sms_codes
			WHERE user_name = $1 AND factor_id = $2`, user, factorID).Scan(&cur.Hash, &exp, &cur.Sends, &last)
		found := err == nil
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		cur.Expires, cur.LastSent = fromNano(exp), fromNano(last)
		out = store.DecideSMSSend(cur, found, hash, now, lim)
		if !out.Taken {
			return nil
		}
		p := out.Pending
		_, err = tx.Exec(ctx, `INSERT INTO sms_codes (user_name, factor_id, code_hash, expires_at, sends, last_sent_at)
			VALUES ($1, $2, $3, $4, $5, $6)
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

// UndoSMSSend restores prev only while hash is still the pending code; one
// conditional statement, so a send that came since is left alone.
func (s *DB) UndoSMSSend(ctx context.Context, user, factorID, hash string, prev store.PendingSMS) error {
	var err error
	if prev.Hash == "" {
		_, err = s.relaxedExec(ctx, s.pool, `DELETE FROM sms_codes WHERE user_name = $1 AND factor_id = $2 AND code_hash = $3`,
			user, factorID, hash)
	} else {
		_, err = s.relaxedExec(ctx, s.pool, `UPDATE sms_codes SET code_hash = $1, expires_at = $2, sends = $3, last_sent_at = $4
			WHERE user_name = $5 AND factor_id = $6 AND code_hash = $7`,
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
	tag, err := s.pool.Exec(ctx, `DELETE FROM sms_codes WHERE user_name = $1 AND factor_id = $2 AND code_hash = $3 AND expires_at > $4`,
		user, factorID, hash, unixNano(now))
	if err != nil {
		return false, fmt.Errorf("store: consume SMS code: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}
