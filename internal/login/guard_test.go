package login_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/login"
)

// TestCSRF: a login or code form without the session's token, or with a
// wrong one, is refused with 403 before any credential is looked at: the
// throttle and the audit trail do not move, the session survives, and the
// right token still works afterwards (the code was not spent).
func TestCSRF(t *testing.T) {
	e := newEnv(t, setup{})
	b := e.browser()
	b.get(signInURL(realm, "c")).wantRedirect(t, login.PathLogin)
	good := b.get(login.PathLogin).csrf(t)
	other := e.browser()
	other.get(signInURL(realm, "o")).wantRedirect(t, login.PathLogin)
	foreign := other.get(login.PathLogin).csrf(t)

	refuse := func(path, good string, creds url.Values) {
		t.Helper()
		bad := map[string]url.Values{
			"missing":           {},
			"empty":             {"csrf": {""}},
			"wrong":             {"csrf": {flip(good)}},
			"truncated":         {"csrf": {good[:len(good)-1]}},
			"another session's": {"csrf": {foreign}},
		}
		calls, lines, id := e.throttle.calls(), e.auditLines(), b.sessionCookie()
		for name, form := range bad {
			for k, v := range creds {
				form[k] = v
			}
			p := b.post(path, form)
			if p.status != http.StatusForbidden {
				t.Errorf("%s %s csrf: status %d, want 403", path, name, p.status)
				continue
			}
			wantMessage(t, p, "error.csrf")
		}
		// The token in the query string does not count either.
		p := b.post(path+"?csrf="+url.QueryEscape(good), creds)
		p.wantStatus(t, http.StatusForbidden)
		if e.throttle.calls() != calls || e.auditLines() != lines {
			t.Errorf("%s: refused forms reached the throttle (%d→%d calls) or the audit (%d→%d lines)",
				path, calls, e.throttle.calls(), lines, e.auditLines())
		}
		if b.sessionCookie() != id {
			t.Errorf("%s: a refused form changed the session", path)
		}
	}
	refuse(login.PathLogin, good, url.Values{"username": {"alice"}, "password": {alicePassword}})
	b.post(login.PathLogin, url.Values{"csrf": {good}, "username": {"alice"}, "password": {alicePassword}}).wantRedirect(t, login.PathCode)

	good = b.get(login.PathCode).csrf(t)
	code := e.code()
	refuse(login.PathCode, good, url.Values{"code": {code}})
	e.verify(t, readAutoPost(t, b.post(login.PathCode, url.Values{"csrf": {good}, "code": {code}})), realm)
}

// TestTokenOnlyAfterBothFactors: no path to the auto-POST page skips a
// factor.
func TestTokenOnlyAfterBothFactors(t *testing.T) {
	e := newEnv(t, setup{})

	t.Run("no session", func(t *testing.T) {
		b := e.browser()
		p := b.get(login.PathCode)
		p.wantStatus(t, http.StatusBadRequest)
		wantNoToken(t, p)
		p = b.post(login.PathCode, url.Values{"csrf": {"x"}, "code": {e.code()}})
		p.wantStatus(t, http.StatusBadRequest)
		wantNoToken(t, p)
	})
	t.Run("code without the password", func(t *testing.T) {
		b := e.browser()
		b.get(signInURL(realm, "c")).wantRedirect(t, login.PathLogin)
		csrf := b.get(login.PathLogin).csrf(t)
		p := b.get(login.PathCode)
		p.wantStatus(t, http.StatusBadRequest)
		wantNoToken(t, p)
		p = b.post(login.PathCode, url.Values{"csrf": {csrf}, "code": {e.code()}})
		p.wantStatus(t, http.StatusBadRequest)
		wantMessage(t, p, "error.session_expired")
		wantNoToken(t, p)
		// Nor does a second /wsfed count as signed in.
		b.get(signInURL(realm, "c")).wantRedirect(t, login.PathLogin)
	})
	t.Run("password only, second factor optional, user without one", func(t *testing.T) {
		// Policy allows it: the token then says password, never MFA.
		b := e.browser()
		b.get(signInURL(realm, "b")).wantRedirect(t, login.PathLogin)
		b.password("bob", alicePassword).wantRedirect(t, login.PathCode)
		tok := e.verify(t, readAutoPost(t, b.get(login.PathCode)), realm)
		wantAMR(t, tok, claims.SAMLPassword, claims.AMRPassword)
		tok = e.verify(t, readAutoPost(t, b.get(signInURL(realm, "sso"))), realm)
		wantAMR(t, tok, claims.SAMLPassword, claims.AMRPassword)
	})

	req := newEnv(t, setup{requireSecond: true})
	t.Run("second factor required, user without one", func(t *testing.T) {
		b := req.browser()
		b.get(signInURL(realm, "b")).wantRedirect(t, login.PathLogin)
		b.password("bob", alicePassword).wantRedirect(t, login.PathCode)
		p := b.get(login.PathCode)
		p.wantStatus(t, http.StatusForbidden)
		wantMessage(t, p, "error.no_factor")
		wantNoToken(t, p)
		wantNoToken(t, b.get(signInURL(realm, "again")))
	})
	t.Run("second factor required, password alone", func(t *testing.T) {
		b := req.browser()
		b.get(signInURL(realm, "a")).wantRedirect(t, login.PathLogin)
		b.password("alice", alicePassword).wantRedirect(t, login.PathCode)
		p := b.get(login.PathCode)
		p.wantStatus(t, http.StatusOK)
		wantNoToken(t, p)
		if len(p.doc.all("input")) == 0 {
			t.Fatal("no code form")
		}
		p = b.get(login.PathLogin) // back to the password page: still the code step
		p.wantRedirect(t, login.PathCode)
		b.get(signInURL(realm, "again")).wantRedirect(t, login.PathLogin)
	})
}

// TestTooManyWrongCodes: MaxCodeAttempts wrong codes end the sign-in; the
// right code is useless afterwards.
func TestTooManyWrongCodes(t *testing.T) {
	e := newEnv(t, setup{maxCodes: 3})
	b := e.browser()
	b.get(signInURL(realm, "w")).wantRedirect(t, login.PathLogin)
	b.password("alice", alicePassword).wantRedirect(t, login.PathCode)
	for i := 1; i < 3; i++ {
		p := b.enterCode(e.wrongCode())
		p.wantStatus(t, http.StatusOK)
		wantMessage(t, p, "error.code")
	}
	csrf := b.get(login.PathCode).csrf(t)
	p := b.post(login.PathCode, url.Values{"csrf": {csrf}, "code": {e.wrongCode()}})
	p.wantStatus(t, http.StatusForbidden)
	wantMessage(t, p, "error.session_expired")
	if c := p.setCookie("claimgate"); c == nil || c.MaxAge >= 0 {
		t.Error("the session cookie was not cleared")
	}
	p = b.post(login.PathCode, url.Values{"csrf": {csrf}, "code": {e.code()}})
	p.wantStatus(t, http.StatusBadRequest)
	wantNoToken(t, p)
}

// flip changes the first character of s.
func flip(s string) string {
	if s[0] == 'x' {
		return "y" + s[1:]
	}
	return "x" + s[1:]
}

// TestCodeCannotBeReplayed: a code that signed in once is refused in
// another sign-in, even within its time step.
func TestCodeCannotBeReplayed(t *testing.T) {
	e := newEnv(t, setup{})
	code := e.code()
	first := e.browser()
	first.get(signInURL(realm, "1")).wantRedirect(t, login.PathLogin)
	first.password("alice", alicePassword).wantRedirect(t, login.PathCode)
	e.verify(t, readAutoPost(t, first.enterCode(code)), realm)

	second := e.browser()
	second.get(signInURL(realm, "2")).wantRedirect(t, login.PathLogin)
	second.password("alice", alicePassword).wantRedirect(t, login.PathCode)
	p := second.enterCode(code)
	p.wantStatus(t, http.StatusOK)
	wantMessage(t, p, "error.code")
	wantNoToken(t, p)
}
