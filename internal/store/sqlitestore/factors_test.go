package sqlitestore

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

func TestFactorCRUD(t *testing.T) {
	ctx := context.Background()
	s := openT(t, dbPath(t), testKey)
	totp := store.Factor{User: "alice", Kind: store.KindTOTP, Name: "phone", Secret: []byte("12345678901234567890"),
		Algorithm: "SHA1", Digits: 6, Period: 30 * time.Second, LastStep: 7}
	got, err := s.AddFactor(ctx, totp)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.ID) != 32 || !got.CreatedAt.Equal(t0) {
		t.Fatalf("AddFactor assigned ID %q CreatedAt %v", got.ID, got.CreatedAt)
	}
	hotp, err := s.AddFactor(ctx, store.Factor{User: "alice", Kind: store.KindHOTP, Name: "token", Secret: []byte("seed"),
		Digits: 6, Counter: 42, SerialNo: "SN-1", CreatedAt: t0.Add(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	sms, err := s.AddFactor(ctx, store.Factor{User: "bob", Kind: store.KindSMS, Name: "mobile", Phone: "+15550100", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}

	one, err := s.Factor(ctx, got.ID)
	if err != nil || !reflect.DeepEqual(one, got) {
		t.Fatalf("Factor = %+v, %v; want %+v", one, err, got)
	}
	list, err := s.Factors(ctx, "alice")
	if err != nil || len(list) != 2 || list[0].ID != got.ID || list[1].ID != hotp.ID || list[1].Counter != 42 || list[1].SerialNo != "SN-1" {
		t.Fatalf("Factors(alice) = %+v, %v", list, err)
	}
	if b, _ := s.Factor(ctx, sms.ID); b.Phone != "+15550100" || b.Secret != nil {
		t.Errorf("sms factor = %+v", b)
	}
	if none, err := s.Factors(ctx, "nobody"); err != nil || len(none) != 0 {
		t.Errorf("Factors(nobody) = %v, %v", none, err)
	}

	// Uniqueness: name per user, serial number across users.
	if _, err := s.AddFactor(ctx, store.Factor{User: "alice", Kind: store.KindTOTP, Name: "phone", Secret: []byte("x")}); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("duplicate name: err = %v", err)
	}
	if _, err := s.AddFactor(ctx, store.Factor{User: "bob", Kind: store.KindHOTP, Name: "t", Secret: []byte("x"), SerialNo: "SN-1"}); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("duplicate serial: err = %v", err)
	}
	if _, err := s.AddFactor(ctx, store.Factor{User: "bob", Kind: "u2f", Name: "k", Secret: []byte("x")}); err == nil {
		t.Error("unknown kind accepted")
	}

	if err := s.ConfirmFactor(ctx, got.ID); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Factor(ctx, got.ID); !f.Confirmed {
		t.Error("ConfirmFactor did not stick")
	}
	if err := s.DeleteFactor(ctx, got.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Factor(ctx, got.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted factor: err = %v", err)
	}
	if err := s.DeleteFactor(ctx, got.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("double delete: err = %v", err)
	}
	if err := s.ConfirmFactor(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("confirm missing: err = %v", err)
	}
}

func TestUpdateFactorUseCompareAndSet(t *testing.T) {
	ctx := context.Background()
	s := openT(t, dbPath(t), testKey)
	f, err := s.AddFactor(ctx, store.Factor{User: "alice", Kind: store.KindHOTP, Name: "token", Secret: []byte("seed"), Counter: 5})
	if err != nil {
		t.Fatal(err)
	}
	prev := store.FactorUse{Counter: 5}
	// 20 concurrent verifications of the same code (counter 5 -> 6): one wins.
	var wins, conflicts atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch err := s.UpdateFactorUse(ctx, f.ID, prev, store.FactorUse{Counter: 6}, t0.Add(time.Minute)); {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, store.ErrConflict):
				conflicts.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 || conflicts.Load() != 19 {
		t.Fatalf("wins=%d conflicts=%d; want 1 and 19", wins.Load(), conflicts.Load())
	}
	got, _ := s.Factor(ctx, f.ID)
	if got.Counter != 6 || !got.LastUsedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("after use: counter %d last used %v", got.Counter, got.LastUsedAt)
	}
	if err := s.UpdateFactorUse(ctx, f.ID, store.FactorUse{Counter: 6}, store.FactorUse{Counter: 2}, t0); err == nil {
		t.Error("backwards counter accepted")
	}
	if err := s.UpdateFactorUse(ctx, "missing", prev, store.FactorUse{Counter: 6}, t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing factor: err = %v", err)
	}
	// TOTP: last step moves forward only from the state read.
	tf, _ := s.AddFactor(ctx, store.Factor{User: "alice", Kind: store.KindTOTP, Name: "phone", Secret: []byte("s")})
	if err := s.UpdateFactorUse(ctx, tf.ID, store.FactorUse{}, store.FactorUse{LastStep: 100}, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateFactorUse(ctx, tf.ID, store.FactorUse{}, store.FactorUse{LastStep: 100}, t0); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale prev: err = %v", err)
	}
}

// TestSwappedSecretFails moves one factor's sealed secret into another row:
// the additional data binds it to its row, so reading fails loudly.
func TestSwappedSecretFails(t *testing.T) {
	ctx := context.Background()
	s := openT(t, dbPath(t), testKey)
	a, _ := s.AddFactor(ctx, store.Factor{User: "alice", Kind: store.KindTOTP, Name: "a", Secret: []byte("alice-secret")})
	b, _ := s.AddFactor(ctx, store.Factor{User: "mallory", Kind: store.KindTOTP, Name: "b", Secret: []byte("mallory-secret")})
	if _, err := s.db.Exec(`UPDATE factors SET secret = (SELECT secret FROM factors WHERE id = ?) WHERE id = ?`, b.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Factor(ctx, a.ID); !errors.Is(err, errCorrupt) {
		t.Errorf("swapped secret: err = %v, want errCorrupt", err)
	}
	// Moving a factor to another user is caught the same way.
	if _, err := s.db.Exec(`UPDATE factors SET user_name = 'alice' WHERE id = ?`, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Factor(ctx, b.ID); !errors.Is(err, errCorrupt) {
		t.Errorf("re-owned factor: err = %v, want errCorrupt", err)
	}
}
