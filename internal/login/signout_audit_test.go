package login_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/internal/login"
)

// TestSignOutAuditsOnlyKnownParties: anyone can send wsignout1.0 with any
// wtrealm (a sign-out needs none), so only a configured relying party's
// identifier may reach the audit record; an invented one is left out.
func TestSignOutAuditsOnlyKnownParties(t *testing.T) {
	e := newEnv(t, setup{})
	b := e.browser()
	readAutoPost(t, b.signIn(signInURL(realm, "x")))
	const invented = "https://attacker.example/invented-party"
	p := b.get(login.PathWSFed + "?wa=wsignout1.0&wtrealm=" + url.QueryEscape(invented))
	if p.status != http.StatusOK {
		t.Fatalf("sign-out naming an unknown realm: %d\n%s", p.status, p.body)
	}
	if got := e.audit.String(); !strings.Contains(got, "sign_out") || strings.Contains(got, "attacker.example") {
		t.Fatalf("the audit trail names an invented party (or no sign-out):\n%s", got)
	}
	readAutoPost(t, b.signIn(signInURL(realm, "y")))
	if p := b.get(login.PathWSFed + "?wa=wsignout1.0&wtrealm=" + url.QueryEscape(realm)); p.status != http.StatusOK {
		t.Fatalf("sign-out naming the relying party: %d", p.status)
	}
	if got := e.audit.String(); strings.Count(got, realm) == 0 || !strings.Contains(got[strings.LastIndex(got, "sign_out"):], realm) {
		t.Fatalf("the sign-out of a known party does not name it:\n%s", got)
	}
}
