package factors

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/sqlitestore"
)

// writeCounter is the store with its code-recording writes counted.
type writeCounter struct {
	*sqlitestore.DB
	mu    sync.Mutex
	calls []string
}

func (w *writeCounter) note(name string) {
	w.mu.Lock()
	w.calls = append(w.calls, name)
	w.mu.Unlock()
}

func (w *writeCounter) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.calls
	w.calls = nil
	return c
}

func (w *writeCounter) UpdateFactorUse(ctx context.Context, id string, prev, next store.FactorUse, when time.Time) error {
	w.note("UpdateFactorUse")
	return w.DB.UpdateFactorUse(ctx, id, prev, next, when)
}

func (w *writeCounter) UseCode(ctx context.Context, user, factorID, fp string, exp time.Time) (bool, error) {
	w.note("UseCode")
	return w.DB.UseCode(ctx, user, factorID, fp, exp)
}

func (w *writeCounter) ConfirmFactor(ctx context.Context, id string) error {
	w.note("ConfirmFactor")
	return w.DB.ConfirmFactor(ctx, id)
}

func (w *writeCounter) ConsumeEnrolmentCode(ctx context.Context, user string, h []byte, now time.Time) (bool, error) {
	w.note("ConsumeEnrolmentCode")
	return w.DB.ConsumeEnrolmentCode(ctx, user, h, now)
}

func (w *writeCounter) UseFactorCode(ctx context.Context, u store.CodeUse) (bool, error) {
	w.note("UseFactorCode")
	return w.DB.UseFactorCode(ctx, u)
}

// TestAcceptedCodeIsOneStoreWrite: an accepted TOTP or HOTP code of a
// store factor, and the code that finishes a self-enrolment (with its
// enrolment code), are recorded by one UseFactorCode, one durable commit,
// not by two to four separate writes (issue 12: one transaction per
// sign-in step).
func TestAcceptedCodeIsOneStoreWrite(t *testing.T) {
	db := &writeCounter{DB: openStore(t)}
	ctx, now := context.Background(), time.Now()
	v, err := NewVerifier(Options{Store: db})
	if err != nil {
		t.Fatal(err)
	}
	totp := addFactor(t, db.DB, store.Factor{Kind: store.KindTOTP, Name: "app", LastStep: -1})
	hotp := addFactor(t, db.DB, store.Factor{Kind: store.KindHOTP, Name: "token"})
	for _, tc := range []struct {
		f    store.Factor
		code string
	}{
		{totp, mfa.TOTPAt(totp.Secret, now, mfa.OATHParams{})},
		{hotp, mfa.HOTP(hotp.Secret, 0, mfa.OATHParams{})},
	} {
		ok, err := v.Verify(ctx, alice, method(t, v, tc.f.ID), tc.code, now)
		if !ok || err != nil {
			t.Fatalf("%s: %v, %v", tc.f.Kind, ok, err)
		}
		if got := db.take(); len(got) != 1 || got[0] != "UseFactorCode" {
			t.Errorf("%s code recorded by %v; want one UseFactorCode", tc.f.Kind, got)
		}
	}

	e := &Enroller{Store: db, Issuer: "claimgate", Networks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, RequireCode: true}
	en, err := e.Begin(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	db.IssueEnrolmentCode(ctx, "alice", store.HashID(mfa.NormalizeAppPassword("ENROL-1")), now.Add(time.Hour))
	db.take()
	if ok, err := e.Finish(ctx, alice, en.ID, mfa.TOTPAt(en.Secret, now, mfa.OATHParams{}), "ENROL-1", now); !ok || err != nil {
		t.Fatalf("enrolment: %v, %v", ok, err)
	}
	if got := db.take(); len(got) != 1 || got[0] != "UseFactorCode" {
		t.Errorf("enrolment recorded by %v; want one UseFactorCode", got)
	}
}
