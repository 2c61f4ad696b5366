package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/store"
)

// Two argon2id PHC strings (the store does not check their content).
const (
	phc  = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
	phc2 = "$argon2id$v=19$m=65536,t=3,p=4$b3RoZXJzYWx0b3RoZXI$bmV3aGFzaG5ld2hhc2huZXdoYXNobmV3aGFzaG5ldw"
)

func testAppPasswords(t *testing.T, su *suite) {
	s := su.open(t)
	if _, err := s.CreateAppPassword(ctx(), store.AppPassword{User: "alice", Name: "x", Hash: "hunter2"}); err == nil {
		t.Error("a non-PHC (plaintext) hash was accepted")
	}
	if _, err := s.CreateAppPassword(ctx(), store.AppPassword{User: "alice", Hash: phc}); err == nil {
		t.Error("an app password without a name was accepted")
	}
	p, err := s.CreateAppPassword(ctx(), store.AppPassword{User: "alice", Name: "iPhone Lync", Hash: phc, CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if p.ID == "" {
		t.Fatal("no ID assigned")
	}
	if _, err := s.CreateAppPassword(ctx(), store.AppPassword{User: "alice", Name: "iPhone Lync", Hash: phc}); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("duplicate live name: err = %v", err)
	}
	if err := s.TouchAppPassword(ctx(), p.ID, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	list, err := s.AppPasswords(ctx(), "alice")
	want := p
	want.LastUsedAt = t0.Add(time.Minute)
	if err != nil || len(list) != 1 || !reflect.DeepEqual(list[0], want) {
		t.Fatalf("AppPasswords = %+v, %v; want %+v", list, err, want)
	}
	// A rehash keeps everything but the hash.
	if err := s.RehashAppPassword(ctx(), p.ID, phc2); err != nil {
		t.Fatal(err)
	}
	list, _ = s.AppPasswords(ctx(), "alice")
	want.Hash = phc2
	if len(list) != 1 || !reflect.DeepEqual(list[0], want) {
		t.Errorf("after rehash: %+v; want %+v", list, want)
	}
	if err := s.RehashAppPassword(ctx(), "missing", phc); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("rehash missing: err = %v", err)
	}
	if err := s.RevokeAppPassword(ctx(), p.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchAppPassword(ctx(), p.ID, t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("touch revoked: err = %v", err)
	}
	// A use racing a revocation cannot bring the password back.
	if err := s.RehashAppPassword(ctx(), p.ID, phc); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("rehash revoked: err = %v", err)
	}
	// The name is free again once revoked; the revoked entry stays listed.
	if _, err := s.CreateAppPassword(ctx(), store.AppPassword{User: "alice", Name: "iPhone Lync", Hash: phc, CreatedAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	list, _ = s.AppPasswords(ctx(), "alice")
	if len(list) != 2 || !list[0].Revoked || list[0].Hash != phc2 || list[1].Revoked {
		t.Errorf("after revoke+recreate: %+v", list)
	}
	if other, _ := s.AppPasswords(ctx(), "bob"); len(other) != 0 {
		t.Errorf("bob sees alice's app passwords: %+v", other)
	}
	if err := s.RevokeAppPassword(ctx(), "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoke missing: err = %v", err)
	}
}

func testAudit(t *testing.T, su *suite) {
	s := su.open(t)
	for i := range 5 {
		user := "alice"
		if i%2 == 1 {
			user = "bob"
		}
		rec := audit.Record{Time: t0.Add(time.Duration(i) * time.Minute), Event: audit.EventFirstFactorFailed,
			Outcome: audit.OutcomeFailure, User: user, ClientAddr: "192.0.2.1", UserAgent: "ua", RequestID: fmt.Sprint("r", i),
			RelyingParty: "urn:rp", Reason: "bad_password", Factor: "totp/phone", Detail: map[string]string{"n": fmt.Sprint(i)}}
		if err := s.AppendAudit(ctx(), rec); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.ListAudit(ctx(), store.AuditFilter{})
	if err != nil || len(all) != 5 || all[0].RequestID != "r0" || all[4].RequestID != "r4" {
		t.Fatalf("ListAudit all = %d records, %v", len(all), err)
	}
	want := audit.Record{Time: t0, Event: audit.EventFirstFactorFailed, Outcome: audit.OutcomeFailure, User: "alice",
		ClientAddr: "192.0.2.1", UserAgent: "ua", RequestID: "r0", RelyingParty: "urn:rp", Reason: "bad_password",
		Factor: "totp/phone", Detail: map[string]string{"n": "0"}}
	if !reflect.DeepEqual(all[0], want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", all[0], want)
	}
	alice, _ := s.ListAudit(ctx(), store.AuditFilter{User: "alice", Since: t0.Add(time.Minute)})
	if len(alice) != 2 || alice[0].RequestID != "r2" || alice[1].RequestID != "r4" {
		t.Errorf("alice since t0+1m = %+v", alice)
	}
	last2, _ := s.ListAudit(ctx(), store.AuditFilter{Limit: 2})
	if len(last2) != 2 || last2[0].RequestID != "r3" || last2[1].RequestID != "r4" {
		t.Errorf("limit 2 = %+v", last2)
	}
	// Retention: records older than the cut are deleted, the rest stay.
	n, err := s.PruneAudit(ctx(), t0.Add(2*time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("PruneAudit deleted %d, %v; want 2", n, err)
	}
	left, _ := s.ListAudit(ctx(), store.AuditFilter{})
	if len(left) != 3 || left[0].RequestID != "r2" {
		t.Errorf("after pruning: %+v", left)
	}
}

// testCleanup: Cleanup deletes exactly what has expired (failure counts
// and locks only once keep has passed since they stopped mattering) and
// leaves the rest and the audit trail alone.
func testCleanup(t *testing.T, su *suite) {
	s := su.open(t)
	keep := time.Hour
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Expired at t0: one of each.
	_, err := s.UseCode(ctx(), "alice", "f1", "old", t0)
	must(err)
	must(s.CreateSession(ctx(), "old", []byte("x"), t0))
	must(s.IssueEnrolmentCode(ctx(), "alice", store.HashID("old"), t0))
	_, err = s.RecordFailure(ctx(), "user:old", t0.Add(-2*keep), time.Minute)
	must(err)
	must(s.SetLock(ctx(), "user:old", t0.Add(-keep), 1))
	_, err = s.TakeSMSSend(ctx(), "alice", "f1", "old", t0.Add(-5*time.Minute), store.SMSLimits{TTL: 5 * time.Minute, MaxSends: 1})
	must(err)
	// Still live, or recent enough to keep.
	_, err = s.UseCode(ctx(), "alice", "f1", "new", t0.Add(ms(1)))
	must(err)
	must(s.CreateSession(ctx(), "new", []byte("x"), t0.Add(ms(1))))
	must(s.IssueEnrolmentCode(ctx(), "bob", store.HashID("new"), t0.Add(ms(1))))
	_, err = s.RecordFailure(ctx(), "user:new", t0.Add(-keep+ms(1)), time.Minute)
	must(err)
	must(s.SetLock(ctx(), "user:new", t0.Add(-keep+ms(1)), 2))
	_, err = s.TakeSMSSend(ctx(), "alice", "f2", "new", t0.Add(-5*time.Minute+ms(1)), store.SMSLimits{TTL: 5 * time.Minute, MaxSends: 1})
	must(err)
	must(s.AppendAudit(ctx(), audit.Record{Time: t0.Add(-100 * keep), Event: audit.EventFirstFactorFailed, Outcome: audit.OutcomeFailure}))

	n, err := s.Cleanup(ctx(), t0, keep)
	if err != nil || n != 6 {
		t.Fatalf("Cleanup deleted %d, %v; want 6", n, err)
	}
	if ok, _ := s.ConsumeSMSCode(ctx(), "alice", "f2", "new", t0); !ok {
		t.Error("unexpired pending SMS code dropped")
	}
	if ok, _ := s.UseCode(ctx(), "alice", "f1", "new", t0.Add(ms(1))); ok {
		t.Error("unexpired used code dropped")
	}
	if ok, _ := s.UseCode(ctx(), "alice", "f1", "old", t0.Add(time.Hour)); !ok {
		t.Error("expired used code kept")
	}
	if _, _, ok, _ := s.GetSession(ctx(), "new", t0); !ok {
		t.Error("unexpired session dropped")
	}
	if ok, _ := s.ConsumeEnrolmentCode(ctx(), "bob", store.HashID("new"), t0); !ok {
		t.Error("unexpired enrolment code dropped")
	}
	if _, level, _ := s.Lock(ctx(), "user:new"); level != 2 {
		t.Error("a recent lock record (its level still matters) dropped")
	}
	if _, level, _ := s.Lock(ctx(), "user:old"); level != 0 {
		t.Error("an old lock record kept")
	}
	if c, _ := s.RecordFailure(ctx(), "user:new", t0.Add(-keep+ms(2)), time.Minute); c != 2 {
		t.Errorf("a recent failure count dropped: next count %d, want 2", c)
	}
	if recs, _ := s.ListAudit(ctx(), store.AuditFilter{}); len(recs) != 1 {
		t.Errorf("Cleanup touched the audit trail: %d records", len(recs))
	}
	if n, err := s.Cleanup(ctx(), t0, keep); err != nil || n != 0 {
		t.Errorf("second Cleanup deleted %d, %v; want 0", n, err)
	}
}

// testKeyChecks: a database that holds secrets refuses another key and no
// key, and still opens with its own.
func testKeyChecks(t *testing.T, su *suite) {
	s := su.open(t)
	if _, err := s.AddFactor(ctx(), store.Factor{User: "alice", Kind: store.KindTOTP, Name: "phone", Secret: []byte("12345678901234567890")}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if su.reopen == nil {
		t.Fatal("storetest: the key checks need storetest.Reopen")
	}
	if s2, err := su.reopen(t, s, OtherKey()); !errors.Is(err, store.ErrKeyMismatch) {
		t.Errorf("wrong key: err = %v, want ErrKeyMismatch", err)
		closeIf(s2)
	}
	if s2, err := su.reopen(t, s, nil); !errors.Is(err, store.ErrKeyMissing) {
		t.Errorf("missing key: err = %v, want ErrKeyMissing", err)
		closeIf(s2)
	}
	if s2, err := su.reopen(t, s, Key()[:16]); err == nil {
		t.Error("a 16-byte key was accepted")
		closeIf(s2)
	}
	s = su.second(t, s, Key())
	f, err := s.Factors(ctx(), "alice")
	if err != nil || len(f) != 1 || string(f[0].Secret) != "12345678901234567890" {
		t.Errorf("reopened with the right key: %v, %v", f, err)
	}
}

// testNoKey: without a key a store refuses secrets; a key can come later,
// and then plain sessions are no longer trusted and the key cannot go.
func testNoKey(t *testing.T, su *suite) {
	if su.keyless == nil || su.reopen == nil {
		t.Fatal("storetest: this test needs storetest.Keyless and storetest.Reopen")
	}
	s := su.keyless(t)
	if _, err := s.AddFactor(ctx(), store.Factor{User: "a", Kind: store.KindTOTP, Name: "n", Secret: []byte("x")}); !errors.Is(err, store.ErrNoKey) {
		t.Errorf("AddFactor without key: err = %v, want ErrNoKey", err)
	}
	if err := s.CreateSession(ctx(), "sid", []byte("data"), t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if d, _, ok, err := s.GetSession(ctx(), "sid", t0); !ok || err != nil || string(d) != "data" {
		t.Errorf("plain session: %q %v %v", d, ok, err)
	}
	s.Close()
	s = su.second(t, s, Key())
	// A plain session is not trusted once there is a key: anyone able to
	// write the database could have put it there.
	if got, _, ok, err := s.GetSession(ctx(), "sid", t0); err != nil || ok {
		t.Errorf("plain session after a key was added: %q %v %v, want not found", got, ok, err)
	}
	s.Close()
	if s2, err := su.reopen(t, s, nil); !errors.Is(err, store.ErrKeyMissing) {
		t.Errorf("key removed again: err = %v, want ErrKeyMissing", err)
		closeIf(s2)
	}
}

func closeIf(s store.Store) {
	if s != nil {
		s.Close()
	}
}
