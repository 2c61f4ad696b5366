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

// TestSignOutWithoutSessionAuditsNothing: a sign-out that ends nothing
// (no cookie: any site, a script, thousands a second) writes no audit
// record; each was a stored row kept for the audit retention, outside
// every budget (attacker review 3b). One that ends a session still does.
func TestSignOutWithoutSessionAuditsNothing(t *testing.T) {
	e := newEnv(t, setup{})
	for _, wa := range []string{"wsignout1.0", "wsignoutcleanup1.0"} {
		for range 50 {
			if p := e.browser().get(login.PathWSFed + "?wa=" + wa); p.status != http.StatusOK {
				t.Fatalf("%s without a session: %d", wa, p.status)
			}
		}
	}
	if got := e.audit.String(); strings.Contains(got, "sign_out") {
		t.Fatalf("sign-outs that ended nothing were audited:\n%s", got)
	}
	b := e.browser()
	readAutoPost(t, b.signIn(signInURL(realm, "x")))
	b.get(login.PathWSFed + "?wa=wsignoutcleanup1.0")
	if got := e.audit.String(); strings.Count(got, `"sign_out"`) != 1 {
		t.Fatalf("a sign-out that ended a session: %d records\n%s", strings.Count(got, `"sign_out"`), got)
	}
}
