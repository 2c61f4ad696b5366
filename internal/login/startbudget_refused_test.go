package login

import (
	"slices"
	"testing"
	"time"
)

// TestStartBudgetNamesTheRefusingBudget: OnRefused is told, for each
// refusal and only then, the budget that refused it: the client's own,
// the instance's for clients not proven, or the proven clients' share.
func TestStartBudgetNamesTheRefusingBudget(t *testing.T) {
	now := time.Unix(1e9, 0)
	var got []string
	b := NewStartBudget(StartBudgetOptions{Total: 2_000, PerAddress: 1_500, Window: 100 * time.Second,
		Now: func() time.Time { return now }, OnRefused: func(budget string) { got = append(got, budget) }})
	step := func(addr string, n int, want bool) {
		t.Helper()
		if b.Take(addr, n) != want {
			t.Fatalf("Take(%s, %d) = %v", addr, n, !want)
		}
	}
	step("192.0.2.1", 1_500, true)
	step("192.0.2.1", 100, false) // its own 1,500 spent
	step("192.0.2.2", 600, false) // 500 of the instance's 2,000 left
	b.Proved("u", "192.0.2.3")
	step("192.0.2.3", 1_500, true) // the proven share
	step("192.0.2.4", 500, true)   // what the others' share had left
	b.Proved("v", "192.0.2.5")
	step("192.0.2.5", 600, false) // 500 of the proven share left
	want := []string{BudgetClient, BudgetInstance, BudgetProven}
	if !slices.Equal(got, want) {
		t.Errorf("OnRefused told %v, want %v", got, want)
	}
	if b.Refused() != 3 {
		t.Errorf("Refused() = %d, want 3", b.Refused())
	}
}

// TestStartBudgetWithBounds: a view for a new configuration keeps what
// was spent and who is proven; its first take moves each bucket by its
// change of size (a raise gives the increase at once, a cut takes it
// back), once; an older view still takes within its own bounds.
func TestStartBudgetWithBounds(t *testing.T) {
	now := time.Unix(1e9, 0)
	var refusals int
	b1 := NewStartBudget(StartBudgetOptions{Total: 10_000, PerAddress: 4_000, Window: 100 * time.Second,
		Now: func() time.Time { return now }, OnRefused: func(string) { refusals++ }})
	if !b1.Take("a", 4_000) || b1.Take("a", 1) {
		t.Fatal("a's 4,000 not spent")
	}
	b1.Proved("u", "192.0.2.7")
	same := b1.WithBounds(10_000, 4_000, 100*time.Second)
	if same.Take("a", 1) {
		t.Fatal("a reload with the same bounds handed a a full budget again")
	}
	if _, ok := same.proven["192.0.2.7"]; !ok {
		t.Fatal("the reload forgot the proven client")
	}
	raised := b1.WithBounds(10_000, 8_000, 100*time.Second)
	if !raised.Take("a", 4_000) || raised.Take("a", 1) {
		t.Fatal("raising a's bound by 4,000 did not give exactly 4,000 at once")
	}
	if !raised.Take("b", 2_000) || raised.Take("c", 1) {
		t.Fatal("the total's 10,000 (8,000 spent by a) is not carried over")
	}
	if raised.Take("a", 1) { // applied once: no second increase
		t.Fatal("the raise was applied twice")
	}
	cut := raised.WithBounds(3_000, 8_000, 100*time.Second)
	now = now.Add(100 * time.Second) // everything full again: 3,000 of the total
	if !cut.Take("d", 3_000) || cut.Take("e", 1) {
		t.Fatal("the cut total does not bound the next takes")
	}
	if b1.Take("f", 1) {
		t.Fatal("an old view took past the newer view's spent total")
	}
	if b1.WithBounds(0, 0, time.Minute) != nil {
		t.Error("no bounds gave a budget")
	}
	var none *StartBudget
	if none.WithBounds(1, 1, time.Minute) != nil {
		t.Error("a nil budget gave a view")
	}
	if refusals != 7 || b1.Refused() != 7 {
		t.Errorf("refusals counted %d / %d, want 7: every view counts in one place", refusals, b1.Refused())
	}
}
