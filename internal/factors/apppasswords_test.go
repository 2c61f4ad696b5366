package factors

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/store"
)

// TestAppPasswordCheckIsOneDerivation: whether the user holds none, one or
// five app passwords, and whether the password is right, wrong or only a
// decoy, a check runs exactly one argon2id derivation, so its time tells
// nothing about the user's app passwords.
func TestAppPasswordCheckIsOneDerivation(t *testing.T) {
	db := openStore(t)
	ctx, now := context.Background(), time.Now()
	pws := map[string][]string{}
	for _, u := range []struct {
		name string
		n    int
	}{{"none", 0}, {"one", 1}, {"five", 5}} {
		for i := range u.n {
			pw := fmt.Sprintf("abcd-efgh-jkmn-%04d", i)
			h := mfa.ForUser(u.name).Hash(mfa.NormalizeAppPassword(pw))
			if _, err := db.CreateAppPassword(ctx, store.AppPassword{User: u.name, Name: fmt.Sprint("p", i), Hash: h}); err != nil {
				t.Fatal(err)
			}
			pws[u.name] = append(pws[u.name], pw)
		}
	}
	derivations := 0
	a := &AppPasswords{Store: db, derive: func(h mfa.AppPasswordHasher, pw string) mfa.Derived {
		derivations++
		return h.Derive(pw)
	}}
	check := func(what string, f func()) {
		t.Helper()
		derivations = 0
		f()
		if derivations != 1 {
			t.Errorf("%s: %d argon2id derivations, want 1", what, derivations)
		}
	}
	for _, u := range []string{"none", "one", "five"} {
		check(u+": wrong password", func() {
			if ok, err := a.CheckAppPassword(ctx, u, "wrong-wrong-wrong", now); ok || err != nil {
				t.Errorf("%s: wrong password accepted or failed: %v", u, err)
			}
		})
		check(u+": decoy", func() { a.SpendCheck(ctx, u, "wrong-wrong-wrong") })
	}
	for i, pw := range pws["five"] {
		check(fmt.Sprint("five: right password ", i), func() {
			if ok, err := a.CheckAppPassword(ctx, "five", pw, now); !ok || err != nil {
				t.Errorf("app password %d refused: %v", i, err)
			}
		})
	}
}

// TestSpendCheckDecidesNothing: a decoy check with a valid app password
// (as for a disabled account) marks nothing used and tells no one.
func TestSpendCheckDecidesNothing(t *testing.T) {
	db := openStore(t)
	ctx := context.Background()
	pw := "abcd-efgh-jkmn-pqrs"
	if _, err := db.CreateAppPassword(ctx, store.AppPassword{User: "dora", Name: "phone", Hash: mfa.ForUser("dora").Hash(mfa.NormalizeAppPassword(pw))}); err != nil {
		t.Fatal(err)
	}
	used := 0
	a := &AppPasswords{Store: db, Used: func(context.Context, string, string) { used++ }}
	a.SpendCheck(ctx, "dora", pw)
	list, _ := db.AppPasswords(ctx, "dora")
	if used != 0 || !list[0].LastUsedAt.IsZero() {
		t.Fatalf("a decoy check marked the app password used (audit calls %d, last use %v)", used, list[0].LastUsedAt)
	}
}

// TestOlderAppPasswordHashesStillWork: a hash made before per-user salts
// (a random salt) is still checked, by a derivation of its own, and its
// first use upgrades it, so the extra work (which timing could tell) ends.
func TestOlderAppPasswordHashesStillWork(t *testing.T) {
	db := openStore(t)
	ctx := context.Background()
	pw := "abcd-efgh-jkmn-pqrs"
	h, err := mfa.HashPassword(mfa.NormalizeAppPassword(pw), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateAppPassword(ctx, store.AppPassword{User: "old", Name: "phone", Hash: h}); err != nil {
		t.Fatal(err)
	}
	a := &AppPasswords{Store: db}
	if ok, err := a.CheckAppPassword(ctx, "old", pw, time.Now()); !ok || err != nil {
		t.Fatalf("an older app password hash was refused: %v", err)
	}
	// Its use upgraded it: from now on a check is one derivation, and the
	// same password still works.
	list, _ := db.AppPasswords(ctx, "old")
	if _, ok := mfa.ForUser("old").Derive(mfa.NormalizeAppPassword(pw)).Matches(list[0].Hash); !ok {
		t.Fatalf("the older hash was not upgraded to the per-user salt: %s", list[0].Hash)
	}
	if ok, _ := a.CheckAppPassword(ctx, "old", pw, time.Now()); !ok {
		t.Fatal("the upgraded app password was refused")
	}
	if ok, _ := mfa.CheckPassword(list[0].Hash, "wrong"); ok {
		t.Fatal("the upgraded hash accepts anything")
	}
}
