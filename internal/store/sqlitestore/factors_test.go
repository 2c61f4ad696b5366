package sqlitestore

import (
	"context"
	"errors"
	"testing"

	"github.com/claimgate/claimgate/internal/store"
)

// TestSwappedSecretFails moves one factor's sealed secret into another row:
// the additional data binds it to its row, so reading fails loudly.
func TestSwappedSecretFails(t *testing.T) {
	ctx := context.Background()
	s := openT(t, dbPath(t), testKey)
	a, _ := s.AddFactor(ctx, store.Factor{User: "alice", Kind: store.KindTOTP, Name: "a", Secret: []byte("alice-secret")})
	b, _ := s.AddFactor(ctx, store.Factor{User: "mallory", Kind: store.KindTOTP, Name: "b", Secret: []byte("mallory-secret")})
	if _, err := s.rawExec(`UPDATE factors SET secret = (SELECT secret FROM factors WHERE id = ?) WHERE id = ?`, b.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Factor(ctx, a.ID); !errors.Is(err, errCorrupt) {
		t.Errorf("swapped secret: err = %v, want errCorrupt", err)
	}
	// Moving a factor to another user is caught the same way.
	if _, err := s.rawExec(`UPDATE factors SET user_name = 'alice' WHERE id = ?`, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Factor(ctx, b.ID); !errors.Is(err, errCorrupt) {
		t.Errorf("re-owned factor: err = %v, want errCorrupt", err)
	}
}
