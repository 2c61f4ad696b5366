package login_test

import (
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/login"
)

// TestStartBudgetLateRestartKeepsAWholeIdleTimeout (review 8): a free
// restart keeps the row's Paid, and a pending row ends a window after its
// payment; so a browser that opened the app link at 0, 28, 56 and 84
// minutes (idle timeout 30 min, window 90) lost its session at 91, seven
// minutes after its last sign-in request. A restart with less than the
// idle timeout of its payment's life left now pays again: the password
// step works up to the idle timeout after the last request.
func TestStartBudgetLateRestartKeepsAWholeIdleTimeout(t *testing.T) {
	const idle = 30 * time.Minute
	for _, wait := range []time.Duration{7 * time.Minute, idle - time.Minute} {
		e := newEnv(t, setup{idle: idle, startBudget: func(now func() time.Time) *login.StartBudget {
			return login.NewStartBudget(login.StartBudgetOptions{PerAddress: 1 << 20, Total: 1 << 20, Window: idle + time.Hour, Delay: -1, Now: now})
		}})
		b := e.browser()
		for i := 0; i < 4; i++ {
			if i > 0 {
				e.clk.Advance(28 * time.Minute)
			}
			b.get(signInURL(realm, "x")).wantRedirect(t, login.PathLogin)
		}
		e.clk.Advance(wait)
		b.password("alice", alicePassword).wantRedirect(t, login.PathCode)
	}
}
