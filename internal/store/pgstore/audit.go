package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/store"
)

// AppendAudit stores a record. It sanitises again: the store may be given a
// record that did not come through an audit.Logger.
func (s *DB) AppendAudit(ctx context.Context, rec audit.Record) error {
	rec = rec.Sanitize()
	detail := ""
	if len(rec.Detail) > 0 {
		b, err := json.Marshal(rec.Detail)
		if err != nil {
			return err
		}
		detail = string(b)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO audit_log (at, event, outcome, user_name, client_addr, user_agent,
		request_id, relying_party, reason, factor, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		unixNano(rec.Time), string(rec.Event), string(rec.Outcome), rec.User, rec.ClientAddr, rec.UserAgent,
		rec.RequestID, rec.RelyingParty, rec.Reason, rec.Factor, detail)
	if err != nil {
		return fmt.Errorf("store: append audit: %w", err)
	}
	return nil
}

// ListAudit returns the newest f.Limit matching records, oldest first.
func (s *DB) ListAudit(ctx context.Context, f store.AuditFilter) ([]audit.Record, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT at, event, outcome, user_name, client_addr, user_agent, request_id, relying_party, reason, factor, detail
		FROM audit_log WHERE at >= $1`
	args := []any{unixNano(f.Since)}
	if f.User != "" {
		q += ` AND user_name = $2`
		args = append(args, f.User)
	}
	q += fmt.Sprintf(` ORDER BY at DESC, id DESC LIMIT $%d`, len(args)+1)
	args = append(args, limit)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list audit: %w", err)
	}
	defer rows.Close()
	var out []audit.Record
	for rows.Next() {
		var r audit.Record
		var at int64
		var event, outcome, detail string
		if err := rows.Scan(&at, &event, &outcome, &r.User, &r.ClientAddr, &r.UserAgent, &r.RequestID,
			&r.RelyingParty, &r.Reason, &r.Factor, &detail); err != nil {
			return nil, err
		}
		r.Time, r.Event, r.Outcome = fromNano(at), audit.Event(event), audit.Outcome(outcome)
		if detail != "" {
			if err := json.Unmarshal([]byte(detail), &r.Detail); err != nil {
				return nil, fmt.Errorf("store: audit detail: %w", err)
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list audit: %w", err)
	}
	slices.Reverse(out)
	return out, nil
}

// PruneAudit deletes records older than before.
func (s *DB) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM audit_log WHERE at < $1`, unixNano(before))
	if err != nil {
		return 0, fmt.Errorf("store: prune audit: %w", err)
	}
	return tag.RowsAffected(), nil
}
