package storetest

import (
	"errors"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

func testFactorCRUD(t *testing.T, su *suite) {
	s := su.open(t)
	totp := store.Factor{User: "alice", Kind: store.KindTOTP, Name: "phone", Secret: []byte("12345678901234567890"),
		Algorithm: "SHA1", Digits: 6, Period: 30 * time.Second, LastStep: 7, CreatedAt: t0}
	got, err := s.AddFactor(ctx(), totp)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID == "" || !got.CreatedAt.Equal(t0) {
		t.Fatalf("AddFactor assigned ID %q CreatedAt %v", got.ID, got.CreatedAt)
	}
	hotp, err := s.AddFactor(ctx(), store.Factor{User: "alice", Kind: store.KindHOTP, Name: "token", Secret: []byte("seed"),
		Digits: 6, Counter: 42, SerialNo: "SN-1", CreatedAt: t0.Add(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	sms, err := s.AddFactor(ctx(), store.Factor{User: "bob", Kind: store.KindSMS, Name: "mobile", Phone: "+15550100"})
	if err != nil {
		t.Fatal(err)
	}
	if sms.CreatedAt.IsZero() || sms.ID == got.ID || sms.ID == hotp.ID {
		t.Errorf("AddFactor with zero CreatedAt and ID: %+v", sms)
	}

	one, err := s.Factor(ctx(), got.ID)
	if err != nil || !reflect.DeepEqual(one, got) {
		t.Fatalf("Factor = %+v, %v; want %+v", one, err, got)
	}
	list, err := s.Factors(ctx(), "alice")
	if err != nil || len(list) != 2 || list[0].ID != got.ID || list[1].ID != hotp.ID || list[1].Counter != 42 || list[1].SerialNo != "SN-1" {
		t.Fatalf("Factors(alice) = %+v, %v", list, err)
	}
	if b, _ := s.Factor(ctx(), sms.ID); b.Phone != "+15550100" || b.Secret != nil {
		t.Errorf("sms factor = %+v", b)
	}
	if none, err := s.Factors(ctx(), "nobody"); err != nil || len(none) != 0 {
		t.Errorf("Factors(nobody) = %v, %v", none, err)
	}

	// Uniqueness: name per user, serial number across users.
	if _, err := s.AddFactor(ctx(), store.Factor{User: "alice", Kind: store.KindTOTP, Name: "phone", Secret: []byte("x")}); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("duplicate name: err = %v", err)
	}
	if _, err := s.AddFactor(ctx(), store.Factor{User: "bob", Kind: store.KindTOTP, Name: "phone", Secret: []byte("x")}); err != nil {
		t.Errorf("same name for another user: %v", err)
	}
	if _, err := s.AddFactor(ctx(), store.Factor{User: "bob", Kind: store.KindHOTP, Name: "t", Secret: []byte("x"), SerialNo: "SN-1"}); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("duplicate serial: err = %v", err)
	}
	if _, err := s.AddFactor(ctx(), store.Factor{User: "bob", Kind: "u2f", Name: "k", Secret: []byte("x")}); err == nil {
		t.Error("unknown kind accepted")
	}

	if err := s.ConfirmFactor(ctx(), got.ID); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Factor(ctx(), got.ID); !f.Confirmed {
		t.Error("ConfirmFactor did not stick")
	}
	if err := s.DeleteFactor(ctx(), got.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Factor(ctx(), got.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted factor: err = %v", err)
	}
	if err := s.DeleteFactor(ctx(), got.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("double delete: err = %v", err)
	}
	if err := s.ConfirmFactor(ctx(), "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("confirm missing: err = %v", err)
	}
}

// casRace submits one HOTP code (counter 5 -> 6) n times at once through
// the given handles and reports the winners and the conflicts.
func casRace(t *testing.T, hs []store.Store, id string, n int) (wins, conflicts int32) {
	var w, c atomic.Int32
	race(n, func(i int) {
		switch err := hs[i%len(hs)].UpdateFactorUse(ctx(), id, store.FactorUse{Counter: 5}, store.FactorUse{Counter: 6}, t0.Add(time.Minute)); {
		case err == nil:
			w.Add(1)
		case errors.Is(err, store.ErrConflict):
			c.Add(1)
		default:
			t.Error(err)
		}
	})
	return w.Load(), c.Load()
}

func testUpdateFactorUse(t *testing.T, su *suite) {
	s := su.open(t)
	f, err := s.AddFactor(ctx(), store.Factor{User: "alice", Kind: store.KindHOTP, Name: "token", Secret: []byte("seed"), Counter: 5})
	if err != nil {
		t.Fatal(err)
	}
	if wins, conflicts := casRace(t, []store.Store{s}, f.ID, 20); wins != 1 || conflicts != 19 {
		t.Fatalf("wins=%d conflicts=%d; want 1 and 19", wins, conflicts)
	}
	got, _ := s.Factor(ctx(), f.ID)
	if got.Counter != 6 || !got.LastUsedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("after use: counter %d last used %v", got.Counter, got.LastUsedAt)
	}
	if err := s.UpdateFactorUse(ctx(), f.ID, store.FactorUse{Counter: 6}, store.FactorUse{Counter: 2}, t0); err == nil {
		t.Error("backwards counter accepted")
	}
	if got, _ := s.Factor(ctx(), f.ID); got.Counter != 6 {
		t.Errorf("refused update changed the counter to %d", got.Counter)
	}
	if err := s.UpdateFactorUse(ctx(), "missing", store.FactorUse{Counter: 5}, store.FactorUse{Counter: 6}, t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing factor: err = %v", err)
	}
	// TOTP: the last step moves forward only from the state read.
	tf, _ := s.AddFactor(ctx(), store.Factor{User: "alice", Kind: store.KindTOTP, Name: "phone", Secret: []byte("s")})
	if err := s.UpdateFactorUse(ctx(), tf.ID, store.FactorUse{}, store.FactorUse{LastStep: 100}, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateFactorUse(ctx(), tf.ID, store.FactorUse{}, store.FactorUse{LastStep: 100}, t0); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale prev: err = %v", err)
	}
	if got, _ := s.Factor(ctx(), tf.ID); got.LastStep != 100 {
		t.Errorf("last step = %d, want 100", got.LastStep)
	}
}

// testUpdateFactorUseAcrossHandles: two handles (two instances) racing
// with one code: still one winner.
func testUpdateFactorUseAcrossHandles(t *testing.T, su *suite) {
	s := su.open(t)
	hs := su.handles(t, s)
	f, err := s.AddFactor(ctx(), store.Factor{User: "alice", Kind: store.KindHOTP, Name: "token", Secret: []byte("seed"), Counter: 5})
	if err != nil {
		t.Fatal(err)
	}
	if wins, conflicts := casRace(t, hs[:], f.ID, 20); wins != 1 || conflicts != 19 {
		t.Fatalf("wins=%d conflicts=%d across two handles; want 1 and 19", wins, conflicts)
	}
	if got, _ := hs[1].Factor(ctx(), f.ID); got.Counter != 6 {
		t.Errorf("second handle reads counter %d, want 6", got.Counter)
	}
}
