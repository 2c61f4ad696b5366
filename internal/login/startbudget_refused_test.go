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
