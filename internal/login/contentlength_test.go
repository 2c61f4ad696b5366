package login_test

import (
	"net/http"
	"testing"

	"github.com/claimgate/claimgate/internal/login"
)

// TestPagesCarryTheirLength: a page is rendered whole before it is sent,
// so it goes with its Content-Length, not chunked: the password page, the
// code page and the token's form.
func TestPagesCarryTheirLength(t *testing.T) {
	e := newEnv(t, setup{})
	b := e.browser()
	b.get(signInURL(realm, "r")).wantRedirect(t, login.PathLogin)
	check := func(name string, p *page) {
		t.Helper()
		p.wantStatus(t, http.StatusOK)
		if p.res.ContentLength != int64(len(p.body)) || len(p.res.TransferEncoding) != 0 {
			t.Errorf("%s: Content-Length %d, Transfer-Encoding %v, body %d bytes", name, p.res.ContentLength, p.res.TransferEncoding, len(p.body))
		}
	}
	check("password page", b.get(login.PathLogin))
	b.password("alice", alicePassword).wantRedirect(t, login.PathCode)
	check("code page", b.get(login.PathCode))
	check("token form", b.enterCode(e.code()))
}
