package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/claimgate/claimgate/internal/testutil"
)

// TestServeLockoutAndCLIUnlock: after lockout.max_failures wrong passwords
// the right password is refused with exactly the wrong-password page, an
// audit record says why, and `claimgate users unlock` lets the user in.
func TestServeLockoutAndCLIUnlock(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; run without -short (make test)")
	}
	alice := e2eUser{Name: "alice", Password: newPassword(t), TOTP: newSeed(t)}
	bob := e2eUser{Name: "bob", Password: newPassword(t), TOTP: newSeed(t)}
	fx := newFixture(t, alice, bob)
	fx.writeConfig(t, serveConfig{extra: "lockout:\n  max_failures: 3\n  base_lockout: 10m\n  max_lockout: 1h\n"})
	startServe(t, fx)
	browser := testutil.Browser(t)
	s := newSession(t, browser)
	s.begin(fx.rp)

	// pageText is what the user sees, without the typed user name.
	pageText := func() string {
		txt, err := chromedp.Run(s.ctx, chromedp.Text(chromedp.CSS("main, body")))
		if err != nil {
			s.fail("page text: %v", err)
		}
		return txt
	}
	var wrongPage string
	for i := 1; i <= 3; i++ {
		if st := s.password("alice", "wrong-"+newPassword(t)); st != 200 {
			s.fail("wrong password %d: status %d", i, st)
		}
		s.expectError(msgCredentials)
		wrongPage = pageText()
	}
	if st := s.password("alice", alice.Password); st != 200 {
		s.fail("right password while locked: status %d", st)
	}
	if s.has("#code") {
		s.fail("the right password passed while alice is locked out")
	}
	if got := pageText(); got != wrongPage {
		t.Errorf("locked-out page differs from the wrong-password page:\n%q\n%q", got, wrongPage)
	}

	recs := readAudit(t, fx)
	if r := findAudit(recs, "lockout", "alice"); r == nil {
		t.Error("no lockout audit record for alice")
	}
	if r := findAudit(recs, "first_factor_failed", "alice"); r == nil || r.Reason != "locked_out" || r.Outcome != "denied" {
		t.Errorf("last first_factor_failed = %+v, want reason locked_out, outcome denied", r)
	}
	if out := fx.cli(t, "users", "locks"); !regexp.MustCompile(`user=alice .*until`).MatchString(out) {
		t.Errorf("users locks:\n%s", out)
	}

	// The lock is alice's, not the address's: bob still signs in from it.
	other := newSession(t, browser)
	other.begin(fx.rp)
	if other.password("bob", bob.Password); other.heading() != titleCode {
		other.fail("bob from the same address: page %q", other.heading())
	}

	if out := fx.cli(t, "users", "unlock", "alice"); !strings.Contains(out, "alice unlocked") {
		t.Fatalf("unlock printed %q", out)
	}
	if out := fx.cli(t, "users", "locks"); strings.Contains(out, "user=alice") {
		t.Errorf("alice still listed after unlock:\n%s", out)
	}
	if r := findAudit(readAudit(t, fx), "unlock", "alice"); r == nil {
		t.Error("no unlock audit record")
	}
	if st := s.password("alice", alice.Password); st != 200 || s.heading() != titleCode {
		s.fail("after unlock: status %d, page %q", st, s.heading())
	}
	before := fx.rp.count()
	s.code(testutil.TOTP(t, alice.TOTP))
	s.tokenArrives(fx.rp, before)
}
