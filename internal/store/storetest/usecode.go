package storetest

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

// testUseFactorCode: UseFactorCode writes the factor's use state, the
// used-code record and (when asked) the confirmation and the enrolment
// code's consumption together, or none of them.
func testUseFactorCode(t *testing.T, su *suite) {
	s := su.open(t)
	f, err := s.AddFactor(ctx(), store.Factor{User: "alice", Kind: store.KindTOTP, Name: "app", Secret: []byte("12345678901234567890"), LastStep: -1})
	if err != nil {
		t.Fatal(err)
	}
	at := t0.Add(ms(7))
	use := func(prev, next int64, fp string) store.CodeUse {
		return store.CodeUse{FactorID: f.ID, User: "alice", Prev: store.FactorUse{LastStep: prev}, Next: store.FactorUse{LastStep: next},
			When: at, Fingerprint: fp, Expires: t0.Add(time.Hour)}
	}
	// The fingerprint already used: refused, and the factor does not move.
	if ok, err := s.UseCode(ctx(), "alice", f.ID, "totp:10", t0.Add(time.Hour)); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, err := s.UseFactorCode(ctx(), use(-1, 10, "totp:10")); ok || err != nil {
		t.Fatalf("used fingerprint: %v, %v; want false, nil", ok, err)
	}
	if got, _ := s.Factor(ctx(), f.ID); got.LastStep != -1 || !got.LastUsedAt.IsZero() {
		t.Fatalf("a refused code moved the factor: step %d, used %v", got.LastStep, got.LastUsedAt)
	}
	// Accepted: both written, confirmation untouched unless asked.
	if ok, err := s.UseFactorCode(ctx(), use(-1, 11, "totp:11")); !ok || err != nil {
		t.Fatalf("fresh code: %v, %v", ok, err)
	}
	got, _ := s.Factor(ctx(), f.ID)
	if got.LastStep != 11 || !got.LastUsedAt.Equal(at) || got.Confirmed {
		t.Fatalf("after use: step %d, used %v, confirmed %v; want 11, %v, false", got.LastStep, got.LastUsedAt, got.Confirmed, at)
	}
	if ok, _ := s.UseCode(ctx(), "alice", f.ID, "totp:11", t0.Add(time.Hour)); ok {
		t.Fatal("UseFactorCode did not record the used code")
	}
	// A stale prev: ErrConflict, and the fingerprint stays unused.
	if ok, err := s.UseFactorCode(ctx(), use(-1, 12, "totp:12")); ok || !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale prev: %v, %v; want ErrConflict", ok, err)
	}
	if ok, _ := s.UseCode(ctx(), "alice", f.ID, "totp:12", t0.Add(time.Hour)); !ok {
		t.Fatal("a lost compare-and-set recorded its code")
	}
	// Never backwards; a gone factor is ErrNotFound.
	if _, err := s.UseFactorCode(ctx(), use(11, 5, "totp:5")); err == nil {
		t.Error("UseFactorCode went backwards")
	}
	gone := use(11, 13, "totp:13")
	gone.FactorID = "nope"
	if _, err := s.UseFactorCode(ctx(), gone); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("absent factor: %v; want ErrNotFound", err)
	}

	// Enrolment: the code's hash must be there, unexpired at When; without
	// it nothing is written, with it everything, and it works once.
	hash := store.HashID("enrol-code")
	if err := s.IssueEnrolmentCode(ctx(), "alice", hash, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	enrol := use(11, 20, "totp:20")
	enrol.Confirm, enrol.EnrolmentCode = true, store.HashID("wrong")
	if ok, err := s.UseFactorCode(ctx(), enrol); ok || err != nil {
		t.Fatalf("wrong enrolment code: %v, %v; want false, nil", ok, err)
	}
	if got, _ := s.Factor(ctx(), f.ID); got.LastStep != 11 || got.Confirmed {
		t.Fatalf("a wrong enrolment code wrote: step %d, confirmed %v", got.LastStep, got.Confirmed)
	}
	// A used fingerprint keeps the enrolment code (all or nothing).
	if ok, _ := s.UseCode(ctx(), "alice", f.ID, "totp:20", t0.Add(time.Hour)); !ok {
		t.Fatal("setup")
	}
	enrol.EnrolmentCode = hash
	if ok, err := s.UseFactorCode(ctx(), enrol); ok || err != nil {
		t.Fatalf("used fingerprint with enrolment code: %v, %v; want false, nil", ok, err)
	}
	enrol.Next.LastStep, enrol.Fingerprint = 21, "totp:21"
	if ok, err := s.UseFactorCode(ctx(), enrol); !ok || err != nil {
		t.Fatalf("enrolment: %v, %v; want true (the refused attempt must not have spent the enrolment code)", ok, err)
	}
	if got, _ := s.Factor(ctx(), f.ID); got.LastStep != 21 || !got.Confirmed {
		t.Fatalf("after enrolment: step %d, confirmed %v; want 21, true", got.LastStep, got.Confirmed)
	}
	if ok, _ := s.ConsumeEnrolmentCode(ctx(), "alice", hash, t0); ok {
		t.Fatal("UseFactorCode did not consume the enrolment code")
	}
	// Confirmed stays confirmed when a later use does not ask.
	if ok, err := s.UseFactorCode(ctx(), use(21, 22, "totp:22")); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if got, _ := s.Factor(ctx(), f.ID); !got.Confirmed {
		t.Fatal("a use without Confirm unconfirmed the factor")
	}
	// Expired enrolment code.
	if err := s.IssueEnrolmentCode(ctx(), "alice", hash, at); err != nil {
		t.Fatal(err)
	}
	late := use(22, 23, "totp:23")
	late.EnrolmentCode = hash
	if ok, err := s.UseFactorCode(ctx(), late); ok || err != nil {
		t.Fatalf("expired enrolment code: %v, %v; want false, nil", ok, err)
	}
}

// testUseFactorCodeOneWinner: of one code submitted many times at once,
// through two handles, exactly one is accepted; every other is a lost
// compare-and-set or a used code, and the factor moved once.
func testUseFactorCodeOneWinner(t *testing.T, su *suite) {
	s := su.open(t)
	hs := su.handles(t, s)
	f, err := s.AddFactor(ctx(), store.Factor{User: "alice", Kind: store.KindHOTP, Name: "token", Secret: []byte("seed"), Counter: 5})
	if err != nil {
		t.Fatal(err)
	}
	var wins, refused atomic.Int32
	race(20, func(i int) {
		ok, err := hs[i%2].UseFactorCode(ctx(), store.CodeUse{FactorID: f.ID, User: "alice", Prev: store.FactorUse{Counter: 5},
			Next: store.FactorUse{Counter: 6}, When: t0, Fingerprint: "hotp:5", Expires: t0.Add(time.Hour)})
		switch {
		case ok:
			wins.Add(1)
		case err == nil || errors.Is(err, store.ErrConflict):
			refused.Add(1)
		default:
			t.Error(err)
		}
	})
	if wins.Load() != 1 || refused.Load() != 19 {
		t.Fatalf("wins=%d refused=%d; want 1 and 19", wins.Load(), refused.Load())
	}
	if got, _ := hs[1].Factor(ctx(), f.ID); got.Counter != 6 {
		t.Errorf("counter %d, want 6", got.Counter)
	}
}
