package main

import (
	"regexp"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/testutil"
)

// TestServeReplayRefusedAfterRestart: a TOTP code accepted once is refused
// when submitted again within its own time window, after claimgate was
// stopped and started again on the same data directory: the used-code
// record is durable. Both kinds of TOTP secret are covered: one in the
// users file (only the used-code record stops a replay) and one in the
// store (`claimgate users totp-add`, whose last used step moves forward).
func TestServeReplayRefusedAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; run without -short (make test)")
	}
	alice := e2eUser{Name: "alice", Password: newPassword(t), TOTP: newSeed(t)}
	bob := e2eUser{Name: "bob", Password: newPassword(t)}
	fx := newFixture(t, alice, bob)
	fx.writeConfig(t, serveConfig{})
	srv := startServe(t, fx)
	out := fx.cli(t, "users", "totp-add", "bob", "--name", "phone")
	m := regexp.MustCompile(`(?m)^secret: ([A-Z2-7]+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("totp-add printed:\n%s", out)
	}
	bob.TOTP = m[1]
	browser := testutil.Browser(t)

	freshStep()
	step := time.Now().Unix() / 30
	used := map[string]string{"alice": testutil.TOTP(t, alice.TOTP), "bob": testutil.TOTP(t, bob.TOTP)}
	for _, u := range []e2eUser{alice, bob} {
		s := newSession(t, browser)
		s.begin(fx.rp)
		if s.password(u.Name, u.Password); s.heading() != titleCode {
			s.fail("%s: page %q after the password", u.Name, s.heading())
		}
		before := fx.rp.count()
		s.code(used[u.Name])
		s.tokenArrives(fx.rp, before)
	}

	srv.stop(t)
	startServe(t, fx)

	for _, u := range []e2eUser{alice, bob} {
		s := newSession(t, browser) // a fresh browser: no session survives
		s.begin(fx.rp)
		if s.password(u.Name, u.Password); s.heading() != titleCode {
			s.fail("%s: page %q after the password", u.Name, s.heading())
		}
		before := fx.rp.count()
		s.code(used[u.Name])
		s.expectError(msgBadCode)
		// The default skew accepts a code one step either side: up to
		// step+1 the code is still one that would be accepted, so only
		// the used-code record refused it. (Was now != step: the whole
		// test had to fit in the rest of one 30 s step, which a loaded
		// machine did not always give it.)
		if now := time.Now().Unix() / 30; now > step+1 {
			t.Fatalf("the test left the code's window of acceptance (step %d, now %d): the refusal proves nothing", step, now)
		}
		if fx.rp.count() != before {
			t.Fatalf("%s: a token was issued for a replayed code", u.Name)
		}
		// The restarted service does accept a code it has not seen.
		s.code(testutil.TOTPAt(t, u.TOTP, time.Now().Add(30*time.Second)))
		s.tokenArrives(fx.rp, before)
	}
	if r := findAudit(readAudit(t, fx), "second_factor_failed", "bob"); r == nil || r.Reason == "" {
		t.Errorf("replay not audited as a failed second factor: %+v", r)
	}
}
