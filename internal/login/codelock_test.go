package login_test

import (
	"net/url"
	"slices"
	"testing"

	"github.com/claimgate/claimgate/internal/lockout"
	"github.com/claimgate/claimgate/internal/login"
)

// TestCodeStepLockLooksLikeWrongCode: at the code step, a code refused
// because the pair is locked counts in the sign-in like a wrong code, so
// the answers are the same whether the lock came or not: wrong, wrong,
// then the sign-in ended (max_code_attempts 3). Found by review: before,
// a locked pair answered "wrong code" for ever and never ended the sign-in,
// telling a lock from a wrong guess.
func TestCodeStepLockLooksLikeWrongCode(t *testing.T) {
	statuses := func(pairMax int) []int {
		p := lockout.DefaultPolicy()
		p.MaxFailures, p.PerAddressMaxFailures = pairMax, 100
		e := newEnv(t, setup{requireSecond: true, maxCodes: 3, policy: &p})
		b := e.browser()
		b.get(signInURL(realm, "x")).wantRedirect(t, login.PathLogin)
		b.password("alice", alicePassword).wantRedirect(t, login.PathCode)
		var seq []int
		for range 5 {
			cp := b.get(login.PathCode)
			if cp.status != 200 {
				seq = append(seq, -cp.status)
				break
			}
			seq = append(seq, b.post(login.PathCode, url.Values{"csrf": {cp.csrf(t)}, "code": {e.wrongCode()}}).status)
		}
		return seq
	}
	unlocked, locked := statuses(10), statuses(1)
	if !slices.Equal(unlocked, locked) {
		t.Errorf("wrong codes answered %v without a lock and %v with the pair locked after the first; want the same", unlocked, locked)
	}
	if len(unlocked) < 3 || unlocked[2] != 403 {
		t.Errorf("answers %v; want the third wrong code to end the sign-in (403)", unlocked)
	}
}
