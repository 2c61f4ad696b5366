package saml2flow_test

import (
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/login/saml2flow"
)

// TestForceAuthnKeepsTheParties: after single sign-on to SP 2 and the
// WS-Fed party, SP 1 forces a fresh sign-in (ForceAuthn). The new sign-in
// replaces the session, but not what single logout needs of it: SP 1's
// later LogoutRequest still tells SP 2 and the WS-Fed party. Meanwhile,
// with the forced sign-in not finished, a LogoutRequest naming what SP 2
// was issued still ends the session and tells the others.
func TestForceAuthnKeepsTheParties(t *testing.T) {
	e := newEnv(t, setup{sp2: true})
	b := e.browser()
	signedInTwice(t, e, b)
	e.clk.Advance(time.Minute)
	b.get(saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest("id-force-1", ` ForceAuthn="true"`, ""), "", nil)).wantRedirect(t, login.PathLogin)
	a := e.readResponse(t, b.signIn(t).autoPost(t), spACS)
	idx := sessionIndexRE.FindStringSubmatch(string(a.xml))[1]
	p := b.get(e.spLogout("id-slo-force", "alice@example.test", idx)).want(t, 200)
	if n := len(frameRE.FindAllString(p.body, -1)); n != 2 {
		t.Errorf("%d frames after ForceAuthn, want 2 (SP 2 and the WS-Fed party)\n%s", n, p.body)
	}

	// The forced sign-in abandoned half-way: SP 1's LogoutRequest for what
	// it was issued before still ends the session, telling the others.
	e = newEnv(t, setup{sp2: true})
	b2 := e.browser()
	sp1Index, _ := signedInTwice(t, e, b2)
	b2.get(saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest("id-force-2", ` ForceAuthn="true"`, ""), "", nil)).wantRedirect(t, login.PathLogin)
	p = b2.get(e.spLogout("id-slo-half", "alice@example.test", sp1Index)).want(t, 200)
	if n := len(frameRE.FindAllString(p.body, -1)); n != 2 || !strings.Contains(e.audit.String(), `"sign_out"`) {
		t.Errorf("%d frames during an unfinished forced sign-in, want 2\n%s", n, p.body)
	}
}
