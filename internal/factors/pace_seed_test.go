package factors

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/mfa"
)

// TestPaceSeedsWithoutAppPasswordUsers: app passwords enabled but nobody
// has one yet (the usual state after enabling the feature): 100 wrong
// passwords for such users and unknown names cost one argon2id in all,
// the one that measures what the others then wait. (Found by review:
// before, only a real check of a user with app passwords measured, so
// every one of these derived.)
func TestPaceSeedsWithoutAppPasswordUsers(t *testing.T) {
	db := openStore(t)
	ctx := context.Background()
	lim := mfa.NewLimiter(4, mfa.WithClock(time.Now, func(time.Duration) {})) // paced sleeps skipped
	derivations := 0
	a := &AppPasswords{Store: db, Limiter: lim, derive: func(h mfa.AppPasswordHasher, pw string) mfa.Derived {
		derivations++
		return h.Derive(pw)
	}}
	for i := range 50 {
		if ok, err := a.CheckAppPassword(ctx, fmt.Sprintf("user%d", i), "wrong", time.Now()); ok || err != nil {
			t.Fatal(ok, err)
		}
		a.SpendCheck(ctx, fmt.Sprintf("nobody%d", i), "wrong")
	}
	if derivations != 1 {
		t.Errorf("100 checks without app passwords: %d argon2id derivations, want exactly 1 (the seed); pace %+v", derivations, lim.PaceStats())
	}
	if st := lim.PaceStats(); st.Paced != 99 {
		t.Errorf("paced %d, want 99", st.Paced)
	}
}
