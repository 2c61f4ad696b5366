package sqlitestore

import (
	"context"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/store"
)

// TestDurabilityPerWrite pins which writes wait for the disk: what guards
// against a replay (a used code or step, a consumed enrolment or SMS
// code), a lock or failure count, a factor or app password, and a
// sign-out commit with synchronous=FULL; an audit record, a last-used
// time, a lease in the file (a DB opened without Options.Serve) and a
// session's progress commit relaxed. Moving a write from the first group
// to the second fails this test. A serving DB's leases make no write at
// all: TestServeLeasesMakeNoWrite.
func TestDurabilityPerWrite(t *testing.T) {
	ctx := context.Background()
	s := openT(t, dbPath(t), testKey)
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
	if err := s.CreateSession(ctx, "sid", []byte("{}"), t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	hash := make([]byte, 32)
	counter := []store.AttemptCounter{{Key: "pair:alice", LockKey: "lock:alice", Limit: 5}}
	for _, tc := range []struct {
		name string
		want durability
		op   func() error
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
		{"ConsumeSMSCode", durable, func() error { _, err := s.ConsumeSMSCode(ctx, "alice", f.ID, "h", t0); return err }},
		{"DeleteSession", durable, func() error { return s.DeleteSession(ctx, "gone") }},

		{"AppendAudit", relaxed, func() error {
			if err := s.AppendAudit(ctx, audit.Record{Time: t0, Event: audit.EventFirstFactorFailed, Outcome: audit.OutcomeFailure}); err != nil {
				return err
			}
			return s.FlushAudit(ctx)
		}},
		{"TouchAppPassword", relaxed, func() error { return s.TouchAppPassword(ctx, ap.ID, t0) }},
		{"ReturnAttempts", relaxed, func() error { return s.ReturnAttempts(ctx, []string{"pair:alice"}, t0) }},
		{"RecordSuccess", relaxed, func() error { return s.RecordSuccess(ctx, "pair:alice", "known:alice", t0.Add(time.Hour)) }},
		{"ResetFailures", relaxed, func() error { return s.ResetFailures(ctx, "user:alice") }},
		{"TakeLease", relaxed, func() error { _, err := s.TakeLease(ctx, "k", "me", t0, time.Minute); return err }},
		{"ReleaseLease", relaxed, func() error { return s.ReleaseLease(ctx, "k", "me") }},
		{"UpdateSession", relaxed, func() error { return s.UpdateSession(ctx, "sid", 1, []byte("{}"), t0.Add(time.Hour)) }},
		{"RotateSession", relaxed, func() error { return s.RotateSession(ctx, "sid", 2, "sid2", []byte("{}"), t0.Add(time.Hour)) }},
	} {
		before := [3]int64{s.w.holds[0].Load(), s.w.holds[1].Load(), s.w.holds[2].Load()}
		if err := tc.op(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var got [3]int64
		for d := range got {
			got[d] = s.w.holds[d].Load() - before[d]
		}
		other := relaxed
		if tc.want == relaxed {
			other = durable
		}
		if got[tc.want] == 0 || got[other] != 0 {
			t.Errorf("%s: %d durable, %d relaxed commits; want only %s", tc.name, got[durable], got[relaxed], map[durability]string{durable: "durable", relaxed: "relaxed"}[tc.want])
		}
	}
}

// testPHC is a well-formed argon2id hash (the store checks the form only).
const testPHC = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
