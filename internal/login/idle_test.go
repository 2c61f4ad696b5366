package login_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/login"
)

// TestIdleTimeoutEndsTheSessionAndItsRow: with an idle timeout, a sign-in
// left on the password page stops working when it runs out, and so does
// its stored row, which the cleanup then deletes, instead of keeping it
// for the whole session lifetime (8 h): a flood of sign-in requests that
// nobody follows leaves its rows for the idle timeout only. A step taken
// (the password) starts the timeout again.
func TestIdleTimeoutEndsTheSessionAndItsRow(t *testing.T) {
	const idle = 30 * time.Minute
	e := newEnv(t, setup{idle: idle})
	ctx := context.Background()

	left := e.browser()
	left.get(signInURL(realm, "left")).wantRedirect(t, login.PathLogin)
	leftID := left.sessionCookie()
	b := e.browser()
	b.get(signInURL(realm, "b")).wantRedirect(t, login.PathLogin)

	e.clk.Advance(20 * time.Minute)
	b.password("alice", alicePassword).wantRedirect(t, login.PathCode)
	e.clk.Advance(10*time.Minute - time.Second)
	left.get(login.PathLogin).wantStatus(t, http.StatusOK) // a second before the timeout
	if _, _, ok, err := e.db.GetSession(ctx, leftID, e.clk.Now()); err != nil || !ok {
		t.Fatalf("row a second before the idle timeout: found %v, %v", ok, err)
	}

	e.clk.Advance(time.Second)
	wantMessage(t, left.get(login.PathLogin), "error.no_request")
	if _, _, ok, err := e.db.GetSession(ctx, leftID, e.clk.Now()); err != nil || ok {
		t.Fatalf("row at the idle timeout: still found (%v), want it expired there, not at the end of the lifetime", err)
	}
	n, err := e.db.Cleanup(ctx, e.clk.Now(), time.Hour)
	if err != nil || n < 1 {
		t.Fatalf("cleanup at the idle timeout: %d deleted, %v", n, err)
	}
	// Deleted, not only hidden: read at a time it was live.
	if _, _, ok, err := e.db.GetSession(ctx, leftID, t0); err != nil || ok {
		t.Fatalf("row after the cleanup, read as of its start: found %v, %v", ok, err)
	}

	// b took a step 10 minutes ago: alive, and its row kept by the cleanup.
	b.get(login.PathCode).wantStatus(t, http.StatusOK)
	e.clk.Advance(20*time.Minute - time.Second)
	b.get(login.PathCode).wantStatus(t, http.StatusOK)
	e.clk.Advance(time.Second)
	wantMessage(t, b.get(login.PathCode), "error.session_expired")
}
