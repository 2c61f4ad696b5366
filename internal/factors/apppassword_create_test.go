package factors

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/mfa"
)

// TestCreateAppPasswordCapAndHash: the cap counts active passwords only,
// the plaintext is never stored, and the stored hash is the per-user one
// that CheckAppPassword verifies with its single derivation.
func TestCreateAppPasswordCapAndHash(t *testing.T) {
	db := openStore(t)
	ctx := context.Background()
	var first string
	var firstID string
	for i := range MaxAppPasswords {
		p, pw, err := CreateAppPassword(ctx, db, "alice", fmt.Sprint("p", i), nil)
		if err != nil {
			t.Fatalf("password %d: %v", i+1, err)
		}
		if strings.Contains(p.Hash, pw) || !strings.HasPrefix(p.Hash, "$argon2id$") {
			t.Fatalf("stored hash %q for %q", p.Hash, pw)
		}
		if _, ok := mfa.ForUser("alice").Derive(mfa.NormalizeAppPassword(pw)).Matches(p.Hash); !ok {
			t.Fatalf("hash %q is not the per-user form", p.Hash)
		}
		if i == 0 {
			first, firstID = pw, p.ID
		}
	}
	if _, _, err := CreateAppPassword(ctx, db, "alice", "one too many", nil); !errors.Is(err, ErrTooManyAppPasswords) {
		t.Fatalf("password %d: err = %v, want ErrTooManyAppPasswords", MaxAppPasswords+1, err)
	}
	if _, _, err := CreateAppPassword(ctx, db, "bob", "own cap", nil); err != nil {
		t.Errorf("another user is capped by alice's passwords: %v", err)
	}
	a := &AppPasswords{Store: db}
	if ok, err := a.CheckAppPassword(ctx, "alice", first, time.Now()); !ok || err != nil {
		t.Fatalf("the created password does not sign in: %v %v", ok, err)
	}
	// A revoked password frees its place.
	if err := db.RevokeAppPassword(ctx, firstID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := CreateAppPassword(ctx, db, "alice", "after revoke", nil); err != nil {
		t.Errorf("after a revocation: %v", err)
	}
	if _, _, err := CreateAppPassword(ctx, db, "alice", "", nil); err == nil {
		t.Error("an app password without a name was created")
	}
}
