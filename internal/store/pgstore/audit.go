package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

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

// insertAuditSQL stores a whole batch in one statement, one array per
// column, in the batch's order (the identity column numbers them so).
// pgx prepares it once per connection and reuses it.
const insertAuditSQL = `INSERT INTO audit_log (at, event, outcome, user_name, client_addr, user_agent,
		request_id, relying_party, reason, factor, detail)
	SELECT at, event, outcome, user_name, client_addr, user_agent, request_id, relying_party, reason, factor, detail
	FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
		$9::text[], $10::text[], $11::text[]) WITH ORDINALITY
		AS r(at, event, outcome, user_name, client_addr, user_agent, request_id, relying_party, reason, factor, detail, n)
	ORDER BY n`

// writeAudit stores a batch in one transaction that commits without
// waiting for the WAL flush (synchronous_commit off, for this transaction
// only): the records also went to the log pipeline as they happened, and
// a crash of the PostgreSQL server may undo only the last such commits,
// never a used code or a lock, whose commits wait for the flush as before.
func (s *DB) writeAudit(ctx context.Context, recs []audit.Record) error {
	n := len(recs)
	at := make([]int64, n)
	cols := make([][]string, 10)
	for i := range cols {
		cols[i] = make([]string, n)
	}
	for i, rec := range recs {
		detail := ""
		if len(rec.Detail) > 0 {
			b, err := json.Marshal(rec.Detail)
			if err != nil {
				return err
			}
			detail = string(b)
		}
		at[i] = unixNano(rec.Time)
		for c, v := range []string{string(rec.Event), string(rec.Outcome), rec.User, rec.ClientAddr, rec.UserAgent,
			rec.RequestID, rec.RelyingParty, rec.Reason, rec.Factor, detail} {
			cols[c][i] = v
		}
	}
	err := s.relaxedTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, insertAuditSQL, at, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6],
			cols[7], cols[8], cols[9])
		return err
	})
	if err != nil {
		return fmt.Errorf("store: append audit: %w", err)
	}
	return nil
}

// FlushAudit returns once every record appended before it is stored.
func (s *DB) FlushAudit(ctx context.Context) error { return s.audit.Flush(ctx) }

// ListAudit returns the newest f.Limit matching records, oldest first,
// after the records this instance queued before the call are stored.
func (s *DB) ListAudit(ctx context.Context, f store.AuditFilter) ([]audit.Record, error) {
	if err := s.audit.Flush(ctx); err != nil {
		return nil, fmt.Errorf("store: list audit: %w", err)
	}
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

// PruneAudit deletes records older than before, the queued ones too.
func (s *DB) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	if err := s.audit.Flush(ctx); err != nil {
		return 0, fmt.Errorf("store: prune audit: %w", err)
	}
	tag, err := s.relaxedExec(ctx, s.pool, `DELETE FROM audit_log WHERE at < $1`, unixNano(before))
	if err != nil {
		return 0, fmt.Errorf("store: prune audit: %w", err)
	}
	return tag.RowsAffected(), nil
}
