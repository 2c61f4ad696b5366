package pgstore

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/storetest"
)

// commitTracer watches every statement and notes, for each write, whether
// the transaction it ran in had set synchronous_commit off before it: an
// explicit one (begin … commit) or a pipeline's implicit one (a batch).
type commitTracer struct {
	mu   sync.Mutex
	open map[*pgx.Conn]*txState // the transaction each connection is in
	// writes: for each write statement, whether its commit was relaxed.
	writes []bool
	// commits counts the commits that wrote, synchronous [0] and relaxed [1].
	commits [2]int64
}

type txState struct{ relaxed, wrote bool }

// commit counts tx's commit if it wrote anything.
func (c *commitTracer) commit(tx *txState) {
	if tx != nil && tx.wrote {
		c.commits[b2i(tx.relaxed)]++
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// counts returns the commits counted so far.
func (c *commitTracer) counts() [2]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.commits
}

func (c *commitTracer) statement(conn *pgx.Conn, sql string, batch bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := strings.ToUpper(strings.TrimSpace(sql))
	switch {
	case q == "BEGIN" || strings.HasPrefix(q, "BEGIN "), strings.HasPrefix(q, "BEGIN;"):
		// A BEGIN may carry the SET LOCAL along (relaxedTx).
		c.open[conn] = &txState{relaxed: strings.HasSuffix(q, "; SET LOCAL SYNCHRONOUS_COMMIT = OFF")}
	case q == "COMMIT" || q == "ROLLBACK":
		if !batch {
			if q == "COMMIT" {
				c.commit(c.open[conn])
			}
			delete(c.open, conn)
		}
	case q == "SET LOCAL SYNCHRONOUS_COMMIT = OFF":
		if tx := c.open[conn]; tx != nil {
			tx.relaxed = true
		}
	case strings.Contains(q, "INSERT INTO") || strings.Contains(q, "UPDATE ") || strings.Contains(q, "DELETE FROM"):
		tx := c.open[conn]
		c.writes = append(c.writes, tx != nil && tx.relaxed)
		if tx == nil {
			c.commits[0]++ // its own, synchronous, commit
		} else {
			tx.wrote = true
		}
	}
}

func (c *commitTracer) TraceQueryStart(ctx context.Context, conn *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.statement(conn, d.SQL, false)
	return ctx
}
func (c *commitTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// A batch is one implicit transaction (one Sync).
func (c *commitTracer) TraceBatchStart(ctx context.Context, conn *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.mu.Lock()
	c.open[conn] = &txState{}
	c.mu.Unlock()
	return ctx
}
func (c *commitTracer) TraceBatchQuery(_ context.Context, conn *pgx.Conn, d pgx.TraceBatchQueryData) {
	c.statement(conn, d.SQL, true)
}
func (c *commitTracer) TraceBatchEnd(_ context.Context, conn *pgx.Conn, _ pgx.TraceBatchEndData) {
	c.mu.Lock()
	c.commit(c.open[conn])
	delete(c.open, conn)
	c.mu.Unlock()
}

// take returns the writes seen since the last call.
func (c *commitTracer) take() []bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.writes
	c.writes = nil
	return w
}

// TestDurabilityPerWrite is the SQLite test's twin: what guards against a
// replay, a lock or failure count, a factor, an enrolment, an app
// password, a sign-out or a lease taken commits synchronously (the
// server's default); a session's progress, a lease released, a returned
// attempt, a last-use time, an audit batch and a cleanup run in a
// transaction that set synchronous_commit off first. Moving a write from
// one group to the other fails it, and so does syncAll (the benchmarks'
// "before"), which must leave nothing relaxed.
func TestDurabilityPerWrite(t *testing.T) {
	for _, syncAll := range []bool{false, true} {
		tr := &commitTracer{open: map[*pgx.Conn]*txState{}}
		s := openT(t, freshDSN(t), Options{Key: storetest.Key(), tracer: tr, syncAll: syncAll})
		checkDurability(t, s, tr, syncAll)
	}
}

func checkDurability(t *testing.T, s *DB, tr *commitTracer, syncAll bool) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f, err := s.AddFactor(ctx, store.Factor{User: "alice", Kind: store.KindTOTP, Name: "p", Secret: []byte("12345678901234567890")})
	if err != nil {
		t.Fatal(err)
	}
	ap, err := s.CreateAppPassword(ctx, store.AppPassword{User: "alice", Name: "mail", Hash: testPHC})
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := s.CreateAppPassword(ctx, store.AppPassword{User: "alice", Name: "old", Hash: testPHC})
	if err != nil {
		t.Fatal(err)
	}
	hash := make([]byte, 32)
	counter := []store.AttemptCounter{{Key: "pair:alice", LockKey: "lock:alice", Limit: 5}}
	const durable, relaxed = false, true
	tr.take()
	for _, tc := range []struct {
		name    string
		relaxed bool
		op      func() error
	}{
		{"UseCode", durable, func() error { _, err := s.UseCode(ctx, "alice", f.ID, "fp", t0.Add(time.Hour)); return err }},
		{"UseStep", durable, func() error { _, err := s.UseStep(ctx, "alice", f.ID, 7); return err }},
		{"UpdateFactorUse", durable, func() error {
			return s.UpdateFactorUse(ctx, f.ID, store.FactorUse{}, store.FactorUse{LastStep: 7}, t0)
		}},
		{"UseFactorCode", durable, func() error {
			_, err := s.UseFactorCode(ctx, store.CodeUse{FactorID: f.ID, User: "alice", Prev: store.FactorUse{LastStep: 7},
				Next: store.FactorUse{LastStep: 8}, When: t0, Fingerprint: "totp:8", Expires: t0.Add(time.Hour)})
			return err
		}},
		{"ConfirmFactor", durable, func() error { return s.ConfirmFactor(ctx, f.ID) }},
		{"AddFactor", durable, func() error {
			_, err := s.AddFactor(ctx, store.Factor{User: "bob", Kind: store.KindTOTP, Name: "q", Secret: []byte("x")})
			return err
		}},
		{"IssueEnrolmentCode", durable, func() error { return s.IssueEnrolmentCode(ctx, "alice", hash, t0.Add(time.Hour)) }},
		{"ConsumeEnrolmentCode", durable, func() error { _, err := s.ConsumeEnrolmentCode(ctx, "alice", hash, t0); return err }},
		{"CreateAppPassword", durable, func() error {
			_, err := s.CreateAppPassword(ctx, store.AppPassword{User: "alice", Name: "cal", Hash: testPHC})
			return err
		}},
		{"RevokeAppPassword", durable, func() error { return s.RevokeAppPassword(ctx, revoked.ID) }},
		{"TakeAttempts", durable, func() error { _, _, err := s.TakeAttempts(ctx, counter, t0, time.Hour); return err }},
		{"RecordFailure", durable, func() error { _, err := s.RecordFailure(ctx, "user:alice", t0, time.Hour); return err }},
		{"SetLock", durable, func() error { return s.SetLock(ctx, "lock:alice", t0.Add(time.Hour), 1) }},
		{"Unlock", durable, func() error { return s.Unlock(ctx, "lock:alice") }},
		{"TakeSMSSend", durable, func() error {
			_, err := s.TakeSMSSend(ctx, "alice", f.ID, "h", t0, store.SMSLimits{TTL: time.Minute, MaxSends: 3, MinInterval: time.Second})
			return err
		}},
		{"ConsumeSMSCode", durable, func() error { _, err := s.ConsumeSMSCode(ctx, "alice", f.ID, "h", t0.Add(time.Second)); return err }},
		{"DeleteSession", durable, func() error { return s.DeleteSession(ctx, "gone") }},
		{"TakeLease", durable, func() error { _, err := s.TakeLease(ctx, "k", "me", t0, time.Minute); return err }},

		{"ReleaseLease", relaxed, func() error { return s.ReleaseLease(ctx, "k", "me") }},
		{"AppendAudit", relaxed, func() error {
			if err := s.AppendAudit(ctx, audit.Record{Time: t0, Event: audit.EventFirstFactorFailed, Outcome: audit.OutcomeFailure}); err != nil {
				return err
			}
			return s.FlushAudit(ctx)
		}},
		{"PruneAudit", relaxed, func() error { _, err := s.PruneAudit(ctx, t0); return err }},
		{"TouchAppPassword", relaxed, func() error { return s.TouchAppPassword(ctx, ap.ID, t0) }},
		{"RehashAppPassword", relaxed, func() error { return s.RehashAppPassword(ctx, ap.ID, testPHC) }},
		{"ReturnAttempts", relaxed, func() error { return s.ReturnAttempts(ctx, []string{"pair:alice"}, t0) }},
		{"RecordSuccess", relaxed, func() error { return s.RecordSuccess(ctx, "pair:alice", "known:alice", t0.Add(time.Hour)) }},
		{"ResetFailures", relaxed, func() error { return s.ResetFailures(ctx, "user:alice") }},
		{"UndoSMSSend", relaxed, func() error { return s.UndoSMSSend(ctx, "alice", f.ID, "h", store.PendingSMS{}) }},
		{"CreateSession", relaxed, func() error { return s.CreateSession(ctx, "sid", []byte("{}"), t0.Add(time.Hour)) }},
		{"UpdateSession", relaxed, func() error { return s.UpdateSession(ctx, "sid", 1, []byte("{}"), t0.Add(time.Hour)) }},
		{"RotateSession", relaxed, func() error { return s.RotateSession(ctx, "sid", 2, "sid2", []byte("{}"), t0.Add(time.Hour)) }},
		{"Cleanup", relaxed, func() error { _, err := s.Cleanup(ctx, t0, time.Hour); return err }},
	} {
		if err := tc.op(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want := tc.relaxed && !syncAll
		writes := tr.take()
		if len(writes) == 0 {
			t.Errorf("%s: no write seen", tc.name)
		}
		for _, got := range writes {
			if got != want {
				t.Errorf("syncAll=%v %s: a write with relaxed=%v; want %v", syncAll, tc.name, got, want)
				break
			}
		}
	}
}

// TestRelaxedCommitIsOff checks the mechanism on the server: a statement
// sent by relaxedExec (a pipeline with SET LOCAL first) or run in
// relaxedTx sees synchronous_commit off, and the next statement on the
// pool sees the default again (SET LOCAL ended with its transaction).
func TestRelaxedCommitIsOff(t *testing.T) {
	ctx := context.Background()
	s := openT(t, freshDSN(t), Options{Key: storetest.Key(), MaxConns: 1})
	if _, err := s.pool.Exec(ctx, `CREATE TABLE probe (n int, v text)`); err != nil {
		t.Fatal(err)
	}
	const ins = `INSERT INTO probe SELECT $1, current_setting('synchronous_commit')`
	if _, err := s.relaxedExec(ctx, s.pool, ins, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.relaxedTx(ctx, func(tx pgx.Tx) error { _, err := tx.Exec(ctx, ins, 2); return err }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, ins, 3); err != nil {
		t.Fatal(err)
	}
	// A failed statement in the pipeline rolls the whole back.
	if _, err := s.relaxedExec(ctx, s.pool, `INSERT INTO probe VALUES (4, 'x'), ('not a number', 'y')`); err == nil {
		t.Fatal("a bad insert succeeded")
	}
	rows, err := s.pool.Query(ctx, `SELECT n, v FROM probe ORDER BY n`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]string{}
	for rows.Next() {
		var n int
		var v string
		if err := rows.Scan(&n, &v); err != nil {
			t.Fatal(err)
		}
		got[n] = v
	}
	if want := map[int]string{1: "off", 2: "off", 3: "on"}; len(got) != len(want) || got[1] != "off" || got[2] != "off" || got[3] != "on" {
		t.Fatalf("synchronous_commit seen %v, want %v", got, want)
	}
}

// testPHC is a well-formed argon2id hash (the store checks the form only).
const testPHC = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
