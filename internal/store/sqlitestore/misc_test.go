package sqlitestore

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/store"
)

const phc = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"

func TestAppPasswords(t *testing.T) {
	ctx := context.Background()
	s := openT(t, dbPath(t), testKey)
	if _, err := s.CreateAppPassword(ctx, store.AppPassword{User: "alice", Name: "x", Hash: "hunter2"}); err == nil {
		t.Error("a non-PHC (plaintext) hash was accepted")
	}
	p, err := s.CreateAppPassword(ctx, store.AppPassword{User: "alice", Name: "iPhone Lync", Hash: phc})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAppPassword(ctx, store.AppPassword{User: "alice", Name: "iPhone Lync", Hash: phc}); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("duplicate live name: err = %v", err)
	}
	if err := s.TouchAppPassword(ctx, p.ID, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	list, err := s.AppPasswords(ctx, "alice")
	want := p
	want.LastUsedAt = t0.Add(time.Minute)
	if err != nil || len(list) != 1 || !reflect.DeepEqual(list[0], want) {
		t.Fatalf("AppPasswords = %+v, %v; want %+v", list, err, want)
	}
	if err := s.RevokeAppPassword(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchAppPassword(ctx, p.ID, t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("touch revoked: err = %v", err)
	}
	// The name is free again once revoked; the revoked entry stays listed.
	if _, err := s.CreateAppPassword(ctx, store.AppPassword{User: "alice", Name: "iPhone Lync", Hash: phc, CreatedAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	list, _ = s.AppPasswords(ctx, "alice")
	if len(list) != 2 || !list[0].Revoked || list[1].Revoked {
		t.Errorf("after revoke+recreate: %+v", list)
	}
	if err := s.RevokeAppPassword(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoke missing: err = %v", err)
	}
}

func TestFailuresAndLocks(t *testing.T) {
	ctx := context.Background()
	s := openT(t, dbPath(t), testKey)
	w := 10 * time.Minute
	for i := 1; i <= 3; i++ {
		if n, err := s.RecordFailure(ctx, "user:alice", t0.Add(time.Duration(i)*time.Minute), w); n != i || err != nil {
			t.Fatalf("failure %d: count %d, %v", i, n, err)
		}
	}
	// The window started at the first failure (t0+1m): at t0+11m it is over.
	if n, _ := s.RecordFailure(ctx, "user:alice", t0.Add(11*time.Minute), w); n != 1 {
		t.Errorf("after window: count %d, want 1", n)
	}
	if n, _ := s.RecordFailure(ctx, "user:alice", t0.Add(12*time.Minute), w); n != 2 {
		t.Errorf("new window: count %d, want 2", n)
	}
	s.ResetFailures(ctx, "user:alice")
	if n, _ := s.RecordFailure(ctx, "user:alice", t0.Add(13*time.Minute), w); n != 1 {
		t.Errorf("after reset: count %d, want 1", n)
	}

	if until, level, err := s.Lock(ctx, "user:alice"); !until.IsZero() || level != 0 || err != nil {
		t.Errorf("no lock: %v %d %v", until, level, err)
	}
	s.SetLock(ctx, "user:alice", t0.Add(time.Hour), 2)
	s.SetLock(ctx, "pair:\"alice\":192.0.2.1", t0.Add(time.Minute), 1)
	s.SetLock(ctx, "user:alice_", t0.Add(time.Hour), 1)
	s.SetLock(ctx, "addr:192.0.2.9", t0.Add(-time.Minute), 3) // expired
	if until, level, _ := s.Lock(ctx, "user:alice"); !until.Equal(t0.Add(time.Hour)) || level != 2 {
		t.Errorf("Lock = %v %d", until, level)
	}
	if until, level, _ := s.Lock(ctx, "addr:192.0.2.9"); !until.Equal(t0.Add(-time.Minute)) || level != 3 {
		t.Errorf("expired lock still readable for its level: %v %d", until, level)
	}
	locks, err := s.Locks(ctx, t0)
	if err != nil || len(locks) != 3 || locks[0].Key != "pair:\"alice\":192.0.2.1" {
		t.Fatalf("Locks = %+v, %v", locks, err)
	}
	if err := s.Unlock(ctx, "user:alice"); err != nil {
		t.Fatal(err)
	}
	if _, level, _ := s.Lock(ctx, "user:alice"); level != 0 {
		t.Error("Unlock left the lock")
	}
	if n, _ := s.RecordFailure(ctx, "user:alice", t0.Add(14*time.Minute), w); n != 1 {
		t.Errorf("Unlock left the failure count: %d", n)
	}
	// Prefix unlock is literal: "_" is not a wildcard.
	s.SetLock(ctx, "user:alicX", t0.Add(time.Hour), 1)
	if n, err := s.UnlockPrefix(ctx, "user:alice_"); n != 1 || err != nil {
		t.Errorf("UnlockPrefix deleted %d, %v; want 1", n, err)
	}
	if _, level, _ := s.Lock(ctx, "user:alicX"); level != 1 {
		t.Error("UnlockPrefix treated _ as a wildcard")
	}
	if _, err := s.UnlockPrefix(ctx, ""); err == nil {
		t.Error("empty prefix accepted")
	}
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	s := openT(t, dbPath(t), testKey)
	if err := s.CreateSession(ctx, "sid-1", []byte(`{"step":1}`), t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	d, v, ok, err := s.GetSession(ctx, "sid-1", t0)
	if !ok || err != nil || string(d) != `{"step":1}` || v != 1 {
		t.Fatalf("GetSession = %q v%d %v %v", d, v, ok, err)
	}
	if err := s.CreateSession(ctx, "sid-1", []byte(`{"step":9}`), t0.Add(time.Minute)); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("CreateSession over an existing id: err = %v, want ErrDuplicate", err)
	}
	if err := s.UpdateSession(ctx, "sid-1", v, []byte(`{"step":2}`), t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if d, v2, _, _ := s.GetSession(ctx, "sid-1", t0); string(d) != `{"step":2}` || v2 != 2 {
		t.Errorf("update: %q v%d", d, v2)
	}
	// A writer holding the old version loses, and changes nothing.
	if err := s.UpdateSession(ctx, "sid-1", v, []byte(`{"step":"stale"}`), t0.Add(time.Minute)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale update: err = %v, want ErrConflict", err)
	}
	if d, _, _, _ := s.GetSession(ctx, "sid-1", t0); string(d) != `{"step":2}` {
		t.Errorf("stale update changed the row: %q", d)
	}
	if _, _, ok, _ := s.GetSession(ctx, "sid-1", t0.Add(time.Minute)); ok {
		t.Error("expired session returned")
	}
	if _, _, ok, _ := s.GetSession(ctx, "sid-2", t0); ok {
		t.Error("unknown session returned")
	}
	// The raw ID is nowhere in the table: only its SHA-256.
	var n int
	s.db.QueryRow(`SELECT COUNT(*) FROM sessions WHERE id_hash = ?`, store.HashID("sid-1")).Scan(&n)
	if n != 1 {
		t.Error("session not stored under SHA-256 of its id")
	}
	if err := s.DeleteSession(ctx, "sid-1"); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := s.GetSession(ctx, "sid-1", t0); ok {
		t.Error("deleted session returned")
	}
	// Deleted is final: no update brings it back.
	if err := s.UpdateSession(ctx, "sid-1", 2, []byte(`{"step":"again"}`), t0.Add(time.Minute)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("update of a deleted session: err = %v, want ErrConflict", err)
	}
	if _, _, ok, _ := s.GetSession(ctx, "sid-1", t0); ok {
		t.Error("deleted session resurrected by an update")
	}
	if err := s.DeleteSession(ctx, "sid-1"); err != nil {
		t.Errorf("deleting an absent session: %v", err)
	}
	s.CreateSession(ctx, "old", []byte("x"), t0)
	if n, _ := s.Cleanup(ctx, t0, time.Hour); n != 1 {
		t.Errorf("Cleanup removed %d sessions, want 1", n)
	}
}

// TestRotateSessionOnce: a session is rotated at most once; the loser of
// two rotations of one version writes nothing.
func TestRotateSessionOnce(t *testing.T) {
	ctx := context.Background()
	s := openT(t, dbPath(t), testKey)
	exp := t0.Add(time.Hour)
	if err := s.CreateSession(ctx, "a", []byte("A"), exp); err != nil {
		t.Fatal(err)
	}
	if err := s.RotateSession(ctx, "a", 1, "b", []byte("B"), exp); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := s.GetSession(ctx, "a", t0); ok {
		t.Error("old id still works after rotation")
	}
	if d, v, ok, _ := s.GetSession(ctx, "b", t0); !ok || string(d) != "B" || v != 1 {
		t.Errorf("new id: %q v%d %v", d, v, ok)
	}
	if err := s.RotateSession(ctx, "a", 1, "c", []byte("C"), exp); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second rotation of the same version: err = %v, want ErrConflict", err)
	}
	if _, _, ok, _ := s.GetSession(ctx, "c", t0); ok {
		t.Error("losing rotation created its session")
	}
	// A rotation from a stale version of a live session loses too.
	s.UpdateSession(ctx, "b", 1, []byte("B2"), exp)
	if err := s.RotateSession(ctx, "b", 1, "d", []byte("D"), exp); !errors.Is(err, store.ErrConflict) {
		t.Errorf("rotation from a stale version: err = %v", err)
	}
}

// TestTakeAttemptCeiling: attempts are counted up to the limit and no
// further, atomically, even with many writers at once; a returned attempt
// frees its place; the window resets the count.
func TestTakeAttemptCeiling(t *testing.T) {
	ctx := context.Background()
	s := openT(t, dbPath(t), testKey)
	const limit = 7
	var wg sync.WaitGroup
	var mu sync.Mutex
	taken, refused := 0, 0
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, ok, err := s.TakeAttempt(ctx, "k", "lk", t0, time.Minute, limit)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			if ok {
				taken++
			} else {
				refused++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if taken != limit || refused != 30-limit {
		t.Fatalf("taken %d refused %d, want %d and %d", taken, refused, limit, 30-limit)
	}
	if err := s.ReturnAttempt(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if n, ok, _ := s.TakeAttempt(ctx, "k", "lk", t0, time.Minute, limit); !ok || n != limit {
		t.Errorf("after a return: %d %v, want %d true", n, ok, limit)
	}
	if n, ok, _ := s.TakeAttempt(ctx, "k", "lk", t0.Add(time.Minute), time.Minute, limit); !ok || n != 1 {
		t.Errorf("after the window: %d %v, want 1 true", n, ok)
	}
	for range 3 {
		s.ReturnAttempt(ctx, "k")
	}
	// Nothing is counted while the lock is in force.
	s.SetLock(ctx, "lk", t0.Add(2*time.Minute), 1)
	if _, ok, _ := s.TakeAttempt(ctx, "k", "lk", t0.Add(time.Minute), time.Minute, limit); ok {
		t.Error("attempt taken while its lock was in force")
	}
	if _, ok, _ := s.TakeAttempt(ctx, "fresh", "lk", t0.Add(time.Minute), time.Minute, limit); ok {
		t.Error("first attempt taken while its lock was in force")
	}
	if n, _ := s.RecordFailure(ctx, "k", t0.Add(time.Minute), time.Minute); n != 1 {
		t.Errorf("returns went below zero: next count %d, want 1", n)
	}
}

func TestAuditAppendList(t *testing.T) {
	ctx := context.Background()
	s := openT(t, dbPath(t), testKey)
	for i := range 5 {
		user := "alice"
		if i%2 == 1 {
			user = "bob"
		}
		rec := audit.Record{Time: t0.Add(time.Duration(i) * time.Minute), Event: audit.EventFirstFactorFailed,
			Outcome: audit.OutcomeFailure, User: user, ClientAddr: "192.0.2.1", UserAgent: "ua", RequestID: fmt.Sprint("r", i),
			RelyingParty: "urn:rp", Reason: "bad_password", Factor: "totp/phone", Detail: map[string]string{"n": fmt.Sprint(i)}}
		if err := s.AppendAudit(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.ListAudit(ctx, store.AuditFilter{})
	if err != nil || len(all) != 5 || all[0].RequestID != "r0" || all[4].RequestID != "r4" {
		t.Fatalf("ListAudit all = %d records, %v", len(all), err)
	}
	want := audit.Record{Time: t0, Event: audit.EventFirstFactorFailed, Outcome: audit.OutcomeFailure, User: "alice",
		ClientAddr: "192.0.2.1", UserAgent: "ua", RequestID: "r0", RelyingParty: "urn:rp", Reason: "bad_password",
		Factor: "totp/phone", Detail: map[string]string{"n": "0"}}
	if !reflect.DeepEqual(all[0], want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", all[0], want)
	}
	alice, _ := s.ListAudit(ctx, store.AuditFilter{User: "alice", Since: t0.Add(time.Minute)})
	if len(alice) != 2 || alice[0].RequestID != "r2" || alice[1].RequestID != "r4" {
		t.Errorf("alice since t0+1m = %+v", alice)
	}
	last2, _ := s.ListAudit(ctx, store.AuditFilter{Limit: 2})
	if len(last2) != 2 || last2[0].RequestID != "r3" || last2[1].RequestID != "r4" {
		t.Errorf("limit 2 = %+v", last2)
	}
	// Retention: records older than the cut are deleted, the rest stay.
	n, err := s.PruneAudit(ctx, t0.Add(2*time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("PruneAudit deleted %d, %v; want 2", n, err)
	}
	left, _ := s.ListAudit(ctx, store.AuditFilter{})
	if len(left) != 3 || left[0].RequestID != "r2" {
		t.Errorf("after pruning: %+v", left)
	}
}

// TestTakeAttemptsAllOrNone: when one counter refuses, none is taken; the
// index of the refusing counter is returned; returns are one statement.
func TestTakeAttemptsAllOrNone(t *testing.T) {
	ctx := context.Background()
	s := openT(t, dbPath(t), testKey)
	cs := []store.AttemptCounter{{Key: "a", LockKey: "la", Limit: 5}, {Key: "b", LockKey: "lb", Limit: 1}}
	if counts, refused, err := s.TakeAttempts(ctx, cs, t0, time.Minute); err != nil || refused != -1 || counts[0] != 1 || counts[1] != 1 {
		t.Fatalf("first take: %v %d %v", counts, refused, err)
	}
	if _, refused, err := s.TakeAttempts(ctx, cs, t0, time.Minute); err != nil || refused != 1 {
		t.Fatalf("second take: refused %d, err %v; want counter 1 refusing", refused, err)
	}
	if n, _ := s.RecordFailure(ctx, "a", t0, time.Minute); n != 2 {
		t.Errorf("the refused take still counted counter a: next count %d, want 2", n)
	}
	if err := s.ReturnAttempts(ctx, []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	if counts, refused, _ := s.TakeAttempts(ctx, cs, t0, time.Minute); refused != -1 || counts[0] != 2 || counts[1] != 1 {
		t.Errorf("after returns: %v %d", counts, refused)
	}
}
