package login_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/login"
)

// TestStartBudgetRefusesNewSessionsOnly: once an address has spent its
// budget of new session rows, a sign-in request that would add one gets
// the busy page (503, Retry-After), no cookie and no record, and writes
// nothing; the sign-ins already started go on to their token, a browser
// that replaces its own session is not counted, and the budget comes back
// with time.
func TestStartBudgetRefusesNewSessionsOnly(t *testing.T) {
	const window = 30 * time.Minute
	var budget *login.StartBudget
	e := newEnv(t, setup{startBudget: func(now func() time.Time) *login.StartBudget {
		budget = login.NewStartBudget(login.StartBudgetOptions{PerAddress: 8 << 10, Window: window, Delay: -1, Now: now})
		return budget
	}})
	wctx := strings.Repeat("w", 1400) // a row of some 2.3 KiB (State is base64): three fit in 8 KiB
	var started []*browser
	var refused *page
	for i := 0; i < 10 && refused == nil; i++ {
		b := e.browser()
		p := b.get(signInURL(realm, wctx))
		switch p.status {
		case http.StatusSeeOther:
			started = append(started, b)
		case http.StatusServiceUnavailable:
			refused = p
		default:
			p.wantStatus(t, http.StatusSeeOther)
		}
	}
	if refused == nil || len(started) != 3 {
		t.Fatalf("%d sign-ins started before a refusal (refused: %v), want 3 in an 8 KiB budget", len(started), refused != nil)
	}
	wantMessage(t, refused, "error.busy")
	if refused.res.Header.Get("Retry-After") == "" || refused.setCookie(e.cookieName()) != nil {
		t.Errorf("refusal: Retry-After %q, cookie set %v", refused.res.Header.Get("Retry-After"), refused.setCookie(e.cookieName()) != nil)
	}
	if budget.Refused() != 1 {
		t.Errorf("budget counted %d refusals, want 1", budget.Refused())
	}
	auditBefore := e.audit.String()
	again := e.browser()
	again.get(signInURL(realm, wctx)).wantStatus(t, http.StatusServiceUnavailable)
	if e.audit.String() != auditBefore {
		t.Errorf("a refusal wrote an audit record:\n%s", strings.TrimPrefix(e.audit.String(), auditBefore))
	}

	// A browser with a session starting again replaces it: not counted.
	started[1].get(signInURL(realm, wctx)).wantRedirect(t, login.PathLogin)
	// The sign-ins already started go on to their token.
	started[0].password("alice", alicePassword).wantRedirect(t, login.PathCode)
	readAutoPost(t, started[0].enterCode(e.code()))
	// Single sign-on writes no new row.
	readAutoPost(t, started[0].get(signInURL(realm2, "sso")))

	e.clk.Advance(window / 3) // a third of 8 KiB: one more row
	e.browser().get(signInURL(realm, wctx)).wantRedirect(t, login.PathLogin)
	e.browser().get(signInURL(realm, wctx)).wantStatus(t, http.StatusServiceUnavailable)
}

// TestFinishedSignInProvesTheAddress: when sign-ins from addresses that
// never finish one have spent the instance's budget, an address a sign-in
// has finished from still starts new ones.
func TestFinishedSignInProvesTheAddress(t *testing.T) {
	e := newEnv(t, setup{startBudget: func(now func() time.Time) *login.StartBudget {
		return login.NewStartBudget(login.StartBudgetOptions{Total: 8 << 10, Window: 30 * time.Minute, Delay: -1, Now: now})
	}})
	wctx := strings.Repeat("w", 1400)
	first := e.browser()
	first.get(signInURL(realm, wctx)).wantRedirect(t, login.PathLogin)
	for i := 0; ; i++ {
		if p := e.browser().get(signInURL(realm, wctx)); p.status == http.StatusServiceUnavailable {
			break
		} else if i == 10 {
			t.Fatal("the 8 KiB budget was never spent")
		}
	}
	first.password("alice", alicePassword).wantRedirect(t, login.PathCode)
	readAutoPost(t, first.enterCode(e.code()))
	e.browser().get(signInURL(realm, wctx)).wantRedirect(t, login.PathLogin)
}
