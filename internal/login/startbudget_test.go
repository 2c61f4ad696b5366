package login

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestStartBudgetBuckets: a burst of the whole size, then the size per
// window; the address's bound and the total's each refuse alone, and a
// refusal spends neither.
func TestStartBudgetBuckets(t *testing.T) {
	now := time.Unix(1e9, 0)
	b := NewStartBudget(StartBudgetOptions{Total: 10_000, PerAddress: 4_000, Window: 100 * time.Second, Now: func() time.Time { return now }})
	for i := range 4 {
		if !b.Take("a", 1_000) {
			t.Fatalf("a's take %d of its 4,000-byte burst refused", i+1)
		}
	}
	if b.Take("a", 1_000) {
		t.Fatal("a over its own bound was let through")
	}
	if b.Take("a", 1) {
		t.Fatal("a with nothing left wrote a byte")
	}
	now = now.Add(10 * time.Second) // a tenth of the window: 400 bytes back
	if b.Take("a", 500) || !b.Take("a", 400) {
		t.Fatal("a's refill is not 4,000 bytes per 100 s")
	}
	// The total: 10,000 - 4,400 spent by a.
	for _, addr := range []string{"b", "c"} {
		for range 2 {
			if !b.Take(addr, 1_200) {
				t.Fatalf("%s within both bounds refused", addr)
			}
		}
	}
	// 4,400 + 4,800 = 9,200 spent (plus 10 s of the total's refill: 1,000): 1,800 left.
	if b.Take("d", 1_900) {
		t.Fatal("a take over the total's remainder was let through")
	}
	if !b.Take("d", 1_800) {
		t.Fatal("the refused take spent the total's remainder")
	}
	if got := b.Refused(); got != 4 {
		t.Errorf("refused %d, want 4", got)
	}
	now = now.Add(time.Hour) // all full again, no more than full
	if !b.Take("a", 4_000) || b.Take("a", 1) {
		t.Error("after a long quiet a's bucket is not exactly full")
	}
}

// TestStartBudgetAddressTable: the table of addresses is bounded; a full
// bucket is forgotten to make room, at most one sweep a second, and an
// address that finds no room is bounded by the total only.
func TestStartBudgetAddressTable(t *testing.T) {
	now := time.Unix(1e9, 0)
	b := NewStartBudget(StartBudgetOptions{Total: 1 << 40, PerAddress: 1_000, Window: 100 * time.Second, MaxAddresses: 3, Now: func() time.Time { return now }})
	for i := range 3 {
		if !b.Take(fmt.Sprint("a", i), 1_000) {
			t.Fatal(i)
		}
	}
	// Table full of spent buckets: the newcomer is untracked, not refused.
	for range 5 {
		if !b.Take("new", 1_000) {
			t.Fatal("an untracked address was refused while the total had room")
		}
	}
	if len(b.addrs) != 3 {
		t.Fatalf("%d addresses tracked, want the bound of 3", len(b.addrs))
	}
	now = now.Add(100 * time.Second) // every bucket full again: forgettable
	if !b.Take("new", 1_000) || b.Take("new", 1) {
		t.Fatal("after the sweep the newcomer is not tracked with its own bound")
	}
	if len(b.addrs) != 1 {
		t.Errorf("%d addresses after the sweep, want 1", len(b.addrs))
	}
	// Within a second of a sweep, no other: the table fills again and the
	// next newcomer goes untracked without a scan.
	b.Take("x", 1_000)
	b.Take("y", 1_000)
	now = now.Add(500 * time.Millisecond)
	swept := b.sweptAt
	b.Take("z", 1)
	if b.sweptAt != swept || len(b.addrs) != 3 {
		t.Errorf("swept again within a second (table %d)", len(b.addrs))
	}
}

// TestStartBudgetHold: a refused request waits Delay, at most MaxWaiters
// at once; beyond, at once.
func TestStartBudgetHold(t *testing.T) {
	release := make(chan struct{})
	var waited = make(chan time.Duration, 10)
	b := NewStartBudget(StartBudgetOptions{Total: 1, Delay: 3 * time.Second, MaxWaiters: 2,
		Wait: func(_ context.Context, d time.Duration) { waited <- d; <-release }})
	done := make(chan struct{}, 3)
	for range 2 {
		go func() { b.hold(context.Background()); done <- struct{}{} }()
	}
	for range 2 {
		if d := <-waited; d != 3*time.Second {
			t.Fatalf("waited %v, want the 3 s delay", d)
		}
	}
	b.hold(context.Background()) // a third: no place, returns at once
	select {
	case <-waited:
		t.Fatal("a third waiter waited beyond MaxWaiters")
	default:
	}
	close(release)
	<-done
	<-done
	if NewStartBudget(StartBudgetOptions{}) != nil {
		t.Error("a budget with no bounds is not nil")
	}
}

// TestStartBudgetKeysIPv6ByPrefix: the addresses of one IPv6 /64 share a
// budget (a host picks any of them); an IPv4-mapped address is its IPv4.
func TestStartBudgetKeysIPv6ByPrefix(t *testing.T) {
	b := NewStartBudget(StartBudgetOptions{PerAddress: 1_000, Now: func() time.Time { return time.Unix(1e9, 0) }})
	if !b.Take("2001:db8:1:2::1", 1_000) || b.Take("2001:db8:1:2:ffff:1:2:3", 1) || b.Take("2001:db8:1:2::1%eth0", 1) {
		t.Error("two addresses of one /64 have a budget each")
	}
	if !b.Take("2001:db8:1:3::1", 1_000) {
		t.Error("the next /64 shares the first one's budget")
	}
	if !b.Take("192.0.2.7", 1_000) || b.Take("::ffff:192.0.2.7", 1) {
		t.Error("an IPv4-mapped address has its own budget")
	}
	if !b.Take("192.0.2.8", 1_000) {
		t.Error("IPv4 addresses of one /24 share a budget")
	}
}

// TestStartBudgetProvenClients: a client a sign-in finished from spends a
// share of its own, so addresses that never sign in cannot spend it; its
// own bound still holds; the table of proven clients is bounded and
// forgets them after ProvenFor.
func TestStartBudgetProvenClients(t *testing.T) {
	now := time.Unix(1e9, 0)
	b := NewStartBudget(StartBudgetOptions{Total: 2_000, PerAddress: 1_500, Window: 100 * time.Second, MaxAddresses: 2, Now: func() time.Time { return now }})
	if !b.Take("192.0.2.1", 1_500) || b.Take("192.0.2.2", 600) {
		t.Fatal("the total of clients not proven is not 2,000")
	}
	b.Proved("u1", "192.0.2.2")
	if !b.Take("192.0.2.2", 600) {
		t.Fatal("a proven client is held back by the others' spent total")
	}
	if b.Take("192.0.2.2", 1_000) {
		t.Fatal("a proven client is not bounded by its own budget")
	}
	b.Proved("u2", "2001:db8::1")      // the table's second place (its /64)
	b.Proved("u3", "2001:db8:0:0:9::") // the same /64: no new place
	b.Proved("u3", "192.0.2.3")        // full: not proven
	if b.Take("192.0.2.3", 600) {      // 500 left of the others' total
		t.Fatal("a client the full table did not take is proven")
	}
	if !b.Take("2001:db8::2", 100) {
		t.Fatal("an address of a proven /64 is not proven")
	}
	now = now.Add(ProvenFor + time.Second)
	b.Proved("u3", "192.0.2.3") // the others expired: swept, and it takes a place
	if len(b.proven) != 1 || !b.Take("192.0.2.3", 100) {
		t.Errorf("after ProvenFor the table holds %d, want only the newcomer", len(b.proven))
	}
	var nilBudget *StartBudget
	nilBudget.Proved("u", "192.0.2.9") // no budget: nothing to do
}

// TestStartBudgetProvenPerUser: one user's sign-ins keep at most
// MaxProvenPerUser clients proven; an expired one makes room, and a
// client another user proved stays proven whatever this user does.
func TestStartBudgetProvenPerUser(t *testing.T) {
	now := time.Unix(1e9, 0)
	b := NewStartBudget(StartBudgetOptions{Total: 1_000, Now: func() time.Time { return now }})
	b.Take("spender", 1_000) // the share of clients not proven is spent
	addr := func(i int) string { return fmt.Sprintf("192.0.2.%d", i) }
	for i := range MaxProvenPerUser + 2 {
		b.Proved("insider", addr(i))
	}
	for i := range MaxProvenPerUser + 2 {
		if got, want := b.Take(addr(i), 1), i < MaxProvenPerUser; got != want {
			t.Errorf("client %d of one user's sign-ins: proven %v, want %v", i, got, want)
		}
	}
	b.Proved("office", addr(MaxProvenPerUser+1)) // another user's sign-in there
	if !b.Take(addr(MaxProvenPerUser+1), 1) {
		t.Error("a client another user proved is not proven")
	}
	now = now.Add(ProvenFor / 2)
	b.Proved("insider", addr(0)) // renewed
	now = now.Add(ProvenFor/2 + time.Second)
	b.Proved("insider", addr(MaxProvenPerUser)) // the other three expired: room
	b.Take("spender", 1_000)                    // spent again, after a week
	if !b.Take(addr(MaxProvenPerUser), 1) || !b.Take(addr(0), 1) || b.Take(addr(1), 1) {
		t.Error("after the others expired: the renewed and the new client are not proven, or an expired one still is")
	}
}
