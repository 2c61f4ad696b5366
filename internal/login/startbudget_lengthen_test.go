package login_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/login"
)

// TestStartBudgetLengtheningKeepsOldRowsShort: a reload that lengthens
// the window (idle timeout 10 min → 8 h → 72 h) while a client keeps the
// cookies of every row it bought. Rows bought at the short window's rate
// may be started again for free only within the window their payment
// bought, and end with it; before, each was started again for free under
// the new, longer window and lived it on top of the long window's own
// budget (2.89× the budget after one lengthening, 3.93× after two:
// review 7). Rows alive stay under twice the budget at every step.
func TestStartBudgetLengtheningKeepsOldRowsShort(t *testing.T) {
	const budgetBytes = 32 << 10
	const idle1, idle2, idle3 = 10 * time.Minute, 8 * time.Hour, 72 * time.Hour
	var root *login.StartBudget
	e1 := newEnv(t, setup{idle: idle1, startBudget: func(now func() time.Time) *login.StartBudget {
		root = login.NewStartBudget(login.StartBudgetOptions{PerAddress: budgetBytes, Total: budgetBytes, Window: idle1 + time.Hour, Delay: -1, Now: now})
		return root
	}})
	reload := func(idle time.Duration) *env { // a generation on the same store and budget, as serve's reload
		e := newEnv(t, setup{idle: idle, db: e1.db, startBudget: func(func() time.Time) *login.StartBudget {
			return root.WithBounds(budgetBytes, budgetBytes, idle+time.Hour)
		}})
		e.clk.Advance(e1.clk.Now().Sub(e.clk.Now()))
		return e
	}
	envs := []*env{e1}
	advance := func(d time.Duration) {
		for _, e := range envs {
			e.clk.Advance(d)
		}
	}
	wctx := strings.Repeat("w", 1400)
	var cookies []string
	buy := func(e *env) {
		for {
			st, c := startWith(t, e, "", wctx)
			if st != http.StatusSeeOther {
				return
			}
			cookies = append(cookies, c)
		}
	}
	refresh := func(e *env) (restarted int) {
		for i, c := range cookies {
			if st, nc := startWith(t, e, c, wctx); st == http.StatusSeeOther && nc != "" {
				cookies[i] = nc
				restarted++
			}
		}
		return restarted
	}
	worst := 0
	check := func(e *env, when string) {
		t.Helper()
		alive := 0
		for _, c := range cookies {
			data, _, ok, err := e.db.GetSession(context.Background(), c, e.clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				alive += len(data)
			}
		}
		worst = max(worst, alive)
		if alive >= 2*budgetBytes {
			t.Fatalf("%s: %d bytes of rows alive, %.2f× the %d-byte budget", when, alive, float64(alive)/budgetBytes, budgetBytes)
		}
	}

	// The first generation (window 70 min): a full bucket, kept alive
	// within the window it was paid in, and the refill at its end.
	buy(e1)
	for s := time.Duration(0); s < 60*time.Minute; s += 5 * time.Minute { // free while an idle timeout is left (review 8)
		advance(5 * time.Minute)
		refresh(e1)
		check(e1, "first window")
	}
	advance(9 * time.Minute)
	buy(e1)
	check(e1, "first window's end")
	if worst < budgetBytes*3/2 {
		t.Fatalf("the first window stored only %d bytes: the attack did not run", worst)
	}

	e2 := reload(idle2) // window 9 h
	envs = append(envs, e2)
	// The bucket is spent: a row bought minutes ago at the 70-minute
	// window's rate is not free to start again for the 9-hour one.
	if n := refresh(e2); n != 0 {
		t.Fatalf("right after the lengthening %d rows bought under the short window started again for free", n)
	}
	for s := time.Duration(0); s < 7*time.Hour+50*time.Minute; s += 10 * time.Minute {
		advance(10 * time.Minute)
		refresh(e2)
		buy(e2)
		check(e2, "after the lengthening to 9 h, +"+s.String())
	}

	e3 := reload(idle3) // window 73 h
	envs = append(envs, e3)
	refresh(e3)
	for s := time.Duration(0); s < 64*time.Hour; s += time.Hour {
		advance(time.Hour)
		refresh(e3)
		buy(e3)
		check(e3, "after the lengthening to 73 h, +"+s.String())
	}
	t.Logf("most bytes alive at once: %d (%.2f× the budget)", worst, float64(worst)/budgetBytes)
}
