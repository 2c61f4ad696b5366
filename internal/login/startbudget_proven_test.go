package login

import (
	"fmt"
	"math/rand"
	"testing"
	"time"
)

func rev3Check(t *testing.T, b *StartBudget, step int) {
	t.Helper()
	seen := map[string]bool{}
	for u, as := range b.byUser {
		if len(as) == 0 {
			t.Fatalf("step %d: empty byUser[%q]", step, u)
		}
		for _, a := range as {
			pc, ok := b.proven[a]
			if !ok || pc.user != u {
				t.Fatalf("step %d: byUser[%q] has %q, proven=%v %+v", step, u, a, ok, pc)
			}
			if seen[a] {
				t.Fatalf("step %d: %q listed twice", step, a)
			}
			seen[a] = true
		}
	}
	for a := range b.proven {
		if !seen[a] {
			t.Fatalf("step %d: proven %q in no byUser list", step, a)
		}
	}
	if len(b.proven) > b.max {
		t.Fatalf("step %d: %d proven over max %d", step, len(b.proven), b.max)
	}
}

// TestStartBudgetProvenBookkeeping: 200,000 random Proved calls (8 users,
// 40 addresses, a table of 20, random time steps) keep every proven client
// in exactly its owner's list, no list empty or stale, the table within
// its bound and no user over MaxProvenPerUser live clients.
func TestStartBudgetProvenBookkeeping(t *testing.T) {
	now := time.Unix(1e9, 0)
	b := NewStartBudget(StartBudgetOptions{Total: 1 << 20, PerAddress: 1 << 16, Window: time.Hour, Delay: -1, MaxAddresses: 20, Now: func() time.Time { return now }})
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 200000; i++ {
		now = now.Add(time.Duration(r.Intn(3600)) * time.Second * time.Duration(1+r.Intn(40)))
		b.Proved(fmt.Sprint("u", r.Intn(8)), fmt.Sprint("10.0.0.", r.Intn(40)))
		rev3Check(t, b, i)
		for u := range b.byUser {
			if n := len(b.live(u, now)); n > MaxProvenPerUser {
				t.Fatalf("user %s has %d live", u, n)
			}
		}
		rev3Check(t, b, i)
	}
}
