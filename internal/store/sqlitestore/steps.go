package sqlitestore

import (
	"context"
	"fmt"
)

// UseStep is one upsert whose update only happens for a later step: the
// compare and the write are a single statement, so SQLite's write lock makes
// it atomic across connections and processes. A new row and a moved row
// both count one change; a step that is not later changes nothing.
func (s *DB) UseStep(ctx context.Context, user, factorID string, step int64) (bool, error) {
	res, err := s.exec(ctx, durable, `INSERT INTO totp_last_steps (user_name, factor_id, step) VALUES (?, ?, ?)
		ON CONFLICT (user_name, factor_id) DO UPDATE SET step = excluded.step WHERE excluded.step > totp_last_steps.step`,
		user, factorID, step)
	if err != nil {
		return false, fmt.Errorf("store: use step: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n == 1, nil
}
