package login_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestStartBudgetRowsEndWithTheirWindow: rows refreshed for free just
// before their window ends still end with it (a pending row lives until
// Paid + window at most), so the live rows stay under twice the budget.
// (Third review, Low-Medium: such a row lived window + idle, 2.27x.)
func TestStartBudgetRowsEndWithTheirWindow(t *testing.T) {
	const idle = 30 * time.Minute
	const window = idle + time.Hour
	const budgetBytes = 32 << 10
	e := budgetEnv(t, idle, window, budgetBytes)
	wctx := strings.Repeat("w", 1400)
	var cookies []string
	buy := func() {
		for {
			st, c := startWith(t, e, "", wctx)
			if st != http.StatusSeeOther {
				return
			}
			cookies = append(cookies, c)
		}
	}
	refresh := func() {
		for i, c := range cookies {
			st, nc := startWith(t, e, c, wctx)
			if st != http.StatusSeeOther || nc == "" {
				t.Fatalf("refresh %d: status %d", i, st)
			}
			cookies[i] = nc
		}
	}
	buy()
	n1 := len(cookies)
	for i := 0; i < 3; i++ {
		e.clk.Advance(29 * time.Minute)
		refresh() // free: paid within the window (T0+87m at the last)
	}
	buy()
	n2 := len(cookies)
	e.clk.Advance(29 * time.Minute) // T0+116m: the first rows still live
	buy()
	t.Logf("bought %d, then %d, then %d", n1, n2-n1, len(cookies)-n2)
	alive, bytes := 0, 0
	for _, c := range cookies {
		if data, _, ok, err := e.db.GetSession(context.Background(), c, e.clk.Now()); err == nil && ok {
			alive++
			bytes += len(data)
		}
	}
	t.Logf("%d live rows, %d bytes on a %d-byte budget (%.2fx)", alive, bytes, budgetBytes, float64(bytes)/budgetBytes)
	if bytes > 2*budgetBytes {
		t.Errorf("live rows %.2fx the budget, over the documented 2x", float64(bytes)/budgetBytes)
	}
}

// TestStartBudgetClockStepBack: after the clock steps back, a Paid in
// the future makes a refresh pay in full, not be free until the clock
// catches up. (Third review, Low: 4 h 10 min free after a 3 h step.)
func TestStartBudgetClockStepBack(t *testing.T) {
	const idle = 30 * time.Minute
	const window = idle + time.Hour
	const budgetBytes = 32 << 10
	e := budgetEnv(t, idle, window, budgetBytes)
	wctx := strings.Repeat("w", 1400)
	st, c := startWith(t, e, "", wctx)
	if st != http.StatusSeeOther {
		t.Fatal(st)
	}
	// spend the rest
	for {
		if st, _ := startWith(t, e, "", wctx); st != http.StatusSeeOther {
			break
		}
	}
	e.clk.Advance(-3 * time.Hour) // NTP step back
	elapsed := time.Duration(0)
	for elapsed < 4*time.Hour {
		e.clk.Advance(25 * time.Minute)
		elapsed += 25 * time.Minute
		st, nc := startWith(t, e, c, wctx)
		if st != http.StatusSeeOther {
			t.Logf("refresh refused after %v real time", elapsed)
			return
		}
		c = nc
	}
	t.Errorf("one row kept alive for free for %v of real time (window %v) after a 3 h clock step back", elapsed, window)
}

// TestThreeLostRotationsKeepTheSession: after three lost rotations the
// new row is added first and the old id deleted only once it is stored,
// so a refused one leaves the user's session. (Third review, Low: the
// session was deleted, then the new row refused.)
func TestThreeLostRotationsKeepTheSession(t *testing.T) {
	rg := newRotationRig(t, true)
	e, b, x := rg.e, rg.b, rg.x
	rg.race(t, 3)
	p := b.get(signInURL(realm, "forced", "wfresh", "0"))
	_, _, ok, _ := e.db.GetSession(context.Background(), x, e.clk.Now())
	t.Logf("forced sign-in: %d; user's session still there: %v", p.status, ok)
	if !ok && p.status != http.StatusSeeOther {
		t.Errorf("refused (%d) after deleting the user's session", p.status)
	}
}
