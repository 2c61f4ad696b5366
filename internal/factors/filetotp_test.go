package factors

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/sqlitestore"
)

// TestUsedStepRetiresEarlierOnes: once the code one step ahead (t+1) was
// accepted, the codes of t and t-1, both still inside the window and never
// used themselves, are refused, and so is t+1 again; in a second instance
// on the same store and after a restart too. The next step still works.
// The users file's secret behaves exactly as an enrolled factor does.
func TestUsedStepRetiresEarlierOnes(t *testing.T) {
	for _, kind := range []string{"users file", "store factor"} {
		t.Run(kind, func(t *testing.T) {
			ctx, path := context.Background(), filepath.Join(t.TempDir(), "s.db")
			key := make([]byte, 32)
			rand.Read(key)
			secret, _ := mfa.NewSecret(rand.Reader, 20)
			now := time.Unix(1_800_000_015, 0) // mid-step, so ±30 s is exactly one step
			codeAt := func(steps int) string {
				return mfa.TOTPAt(secret, now.Add(time.Duration(steps)*30*time.Second), mfa.OATHParams{})
			}
			methodID := fileFactorID
			open := func() *Verifier {
				db, err := sqlitestore.Open(ctx, path, sqlitestore.Options{Key: key})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				o := Options{Store: db, TOTPSkewSteps: 1}
				switch {
				case kind == "users file":
					o.File = fileSecrets{"alice": secret}
				case methodID == fileFactorID:
					methodID = addFactor(t, db, store.Factor{Kind: store.KindTOTP, Name: "phone", Secret: secret}).ID
				}
				v, err := NewVerifier(o)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			verify := func(v *Verifier, code string, at time.Time) bool {
				t.Helper()
				ok, err := v.Verify(ctx, alice, method(t, v, methodID), code, at)
				if err != nil {
					t.Fatal(err)
				}
				return ok
			}
			first, second := open(), open()
			if !verify(first, codeAt(+1), now) {
				t.Fatal("the code of t+1 was refused")
			}
			for _, c := range []struct {
				v    *Verifier
				name string
				step int
			}{{first, "t-1", -1}, {first, "t", 0}, {first, "t+1 again", +1}, {second, "t-1 in a second instance", -1}} {
				if verify(c.v, codeAt(c.step), now) {
					t.Errorf("after t+1 was used, the code of %s was accepted", c.name)
				}
			}
			if restarted := open(); verify(restarted, codeAt(0), now.Add(30*time.Second)) {
				t.Error("after a restart, the code of t was accepted once t+1 had been used")
			}
			if !verify(second, codeAt(+2), now.Add(30*time.Second)) {
				t.Error("the code of t+2 was refused")
			}
		})
	}
}
