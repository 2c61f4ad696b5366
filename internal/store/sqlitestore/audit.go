package sqlitestore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/store"
)

// AppendAudit queues a record for the next batch (store.AuditBatcher)
// and returns: a refused sign-in attempt costs no commit of its own. It
// sanitises again: the store may be given a record that did not come
// through an audit.Logger.
func (s *DB) AppendAudit(ctx context.Context, rec audit.Record) error {
	return s.audit.Append(ctx, rec.Sanitize())
}

// insertAuditSQL stores one record; a batch runs it once per record in
// one transaction, prepared once.
const insertAuditSQL = `INSERT INTO audit_log (at, event, outcome, user_name, client_addr, user_agent,
		request_id, relying_party, reason, factor, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// writeAudit stores a batch in one relaxed transaction: the audit trail
// also goes to the log pipeline as it happens, and a power cut (not a
// crash of the process) may undo only the records since the last durable
// commit.
func (s *DB) writeAudit(ctx context.Context, recs []audit.Record) error {
	err := s.writeTx(ctx, relaxed, func(c wconn) error {
		for _, rec := range recs {
			detail, err := auditDetail(rec)
			if err != nil {
				return err
			}
			if _, err := c.exec(insertAuditSQL, unixNano(rec.Time), string(rec.Event), string(rec.Outcome), rec.User,
				rec.ClientAddr, rec.UserAgent, rec.RequestID, rec.RelyingParty, rec.Reason, rec.Factor, detail); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: append audit: %w", err)
	}
	return nil
}

// auditDetail is rec.Detail as stored: JSON, or empty.
func auditDetail(rec audit.Record) (string, error) {
	if len(rec.Detail) == 0 {
		return "", nil
	}
	b, err := json.Marshal(rec.Detail)
	return string(b), err
}

// FlushAudit returns once every record appended before it is stored.
func (s *DB) FlushAudit(ctx context.Context) error { return s.audit.Flush(ctx) }

// ListAudit returns the newest f.Limit matching records, oldest first,
// after the records this process queued before the call are stored.
func (s *DB) ListAudit(ctx context.Context, f store.AuditFilter) ([]audit.Record, error) {
	if err := s.audit.Flush(ctx); err != nil {
		return nil, fmt.Errorf("store: list audit: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT at, event, outcome, user_name, client_addr, user_agent, request_id, relying_party, reason, factor, detail
		FROM audit_log WHERE at >= ?`
	args := []any{unixNano(f.Since)}
	if f.User != "" {
		q += ` AND user_name = ?`
		args = append(args, f.User)
	}
	q += ` ORDER BY at DESC, id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.r.query(ctx, q, args...)
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
		return nil, err
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// PruneAudit deletes records older than before, the queued ones too.
func (s *DB) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	if err := s.audit.Flush(ctx); err != nil {
		return 0, fmt.Errorf("store: prune audit: %w", err)
	}
	res, err := s.exec(ctx, relaxed, `DELETE FROM audit_log WHERE at < ?`, unixNano(before))
	if err != nil {
		return 0, fmt.Errorf("store: prune audit: %w", err)
	}
	return res.RowsAffected()
}
