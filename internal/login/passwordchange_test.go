package login_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/lockout"
	"github.com/claimgate/claimgate/internal/login"
)

const changeURL = "https://adfs.example.test/adfs/portal/updatepassword/"

// adAfterBind behaves as AD does for an account in a given state: the
// password is checked first (the real users-file check), and only a
// correct one gets the state's answer. Until changed is set; then the
// account signs in.
type adAfterBind struct {
	login.Directory
	reason  claims.Reason
	changed atomic.Bool
}

func (d *adAfterBind) Authenticate(ctx context.Context, user, pw string) (claims.Identity, error) {
	id, err := d.Directory.Authenticate(ctx, user, pw)
	if err != nil || d.changed.Load() {
		return id, err
	}
	return claims.Identity{}, claims.Rejected(d.reason, "AD data")
}

func (e *env) throttleFails() int {
	e.throttle.mu.Lock()
	defer e.throttle.mu.Unlock()
	return e.throttle.fail
}

// TestMustChangeAfterCorrectPassword: after a correct password that AD
// refuses with 773 (must change) or 532 (expired), the page says so and
// links the configured password-change page. The attempt is not counted:
// more such attempts than the lockout allows leave the user able to sign
// in once the password is changed. A wrong password for the same account
// still gets the generic page, without the link. The audit keeps the
// reason. (Before: the generic "incorrect" page, and every attempt was
// counted as a failure.)
func TestMustChangeAfterCorrectPassword(t *testing.T) {
	for _, c := range []struct {
		reason claims.Reason
		key    string
	}{
		{claims.ReasonMustChange, "error.password_must_change"},
		{claims.ReasonPasswordExpired, "error.password_expired"},
	} {
		t.Run(string(c.reason), func(t *testing.T) {
			dir := &adAfterBind{reason: c.reason}
			e := newEnv(t, setup{appPasswords: true, page: login.LoginPage{PasswordChangeURL: changeURL},
				directory: func(d login.Directory) login.Directory { dir.Directory = d; return dir }})
			b := e.browser()
			b.get(signInURL(realm, "c")).wantRedirect(t, login.PathLogin)
			for i := 0; i < lockout.DefaultPolicy().MaxFailures+2; i++ {
				p := b.password("alice", alicePassword)
				p.wantStatus(t, http.StatusOK)
				wantMessage(t, p, c.key)
				if !strings.Contains(p.body, `<a href="`+changeURL+`">`) {
					t.Fatalf("attempt %d: no link to the password-change page:\n%s", i+1, p.body)
				}
				if strings.Contains(p.body, "incorrect") {
					t.Fatalf("attempt %d: the generic message is shown too", i+1)
				}
			}
			if n := e.throttleFails(); n != 0 {
				t.Errorf("%d must-change attempts were counted as failures", n)
			}
			if !strings.Contains(e.audit.String(), `"reason":"`+string(c.reason)+`"`) {
				t.Errorf("the audit trail lacks the reason:\n%s", e.audit.String())
			}
			// Without the password nothing is revealed.
			p := b.password("alice", "wrong password")
			wantMessage(t, p, "error.credentials")
			if strings.Contains(p.body, changeURL) || strings.Contains(p.body, "must be changed") || strings.Contains(p.body, "expired") {
				t.Errorf("a wrong password tells the account's state:\n%s", p.body)
			}
			if n := e.throttleFails(); n != 1 {
				t.Errorf("the wrong password counted %d times, want 1", n)
			}
			// Changed in AD: the user signs in, never locked out meanwhile.
			dir.changed.Store(true)
			b.password("alice", alicePassword).wantRedirect(t, login.PathCode)
		})
	}
}

// TestMustChangeWithoutURL: without password_change_url the page says
// where else to change it, and links nothing.
func TestMustChangeWithoutURL(t *testing.T) {
	dir := &adAfterBind{reason: claims.ReasonMustChange}
	e := newEnv(t, setup{directory: func(d login.Directory) login.Directory { dir.Directory = d; return dir }})
	b := e.browser()
	b.get(signInURL(realm, "c")).wantRedirect(t, login.PathLogin)
	p := b.password("alice", alicePassword)
	wantMessage(t, p, "error.password_must_change")
	wantMessage(t, p, "login.change_password_elsewhere")
	if strings.Contains(p.body, "<a ") {
		t.Errorf("a link without a configured URL:\n%s", p.body)
	}
}

// TestProbeableReasonsStayGeneric: every refusal that can be had without
// the password (or is claimgate's own) gives exactly the page of a wrong
// password, even when the directory answers it to the correct password,
// and counts as a failure. (Unchanged behaviour, pinned next to the new
// messages.)
func TestProbeableReasonsStayGeneric(t *testing.T) {
	masked := func(e *env, user, pw string) string {
		b := e.browser()
		b.get(signInURL(realm, "c")).wantRedirect(t, login.PathLogin)
		csrf := b.get(login.PathLogin).csrf(t)
		p := b.post(login.PathLogin, url.Values{"csrf": {csrf}, "username": {user}, "password": {pw}})
		p.wantStatus(t, http.StatusOK)
		wantMessage(t, p, "error.credentials")
		body := strings.ReplaceAll(p.body, csrf, "CSRF")
		return strings.ReplaceAll(body, p.res.Header.Get("X-Request-Id"), "REQID")
	}
	page := login.LoginPage{PasswordChangeURL: changeURL}
	wrong := masked(newEnv(t, setup{page: page}), "alice", "wrong password")
	for _, r := range []claims.Reason{claims.ReasonUnknownUser, claims.ReasonAmbiguousUser, claims.ReasonBadPassword,
		claims.ReasonDisabled, claims.ReasonLockedOut, claims.ReasonAccountExpired, claims.ReasonNotPermitted, claims.ReasonPolicy} {
		dir := &adAfterBind{reason: r}
		e := newEnv(t, setup{page: page, directory: func(d login.Directory) login.Directory { dir.Directory = d; return dir }})
		if got := masked(e, "alice", alicePassword); got != wrong {
			t.Errorf("%s differs from a wrong password:\n%s\n----\n%s", r, got, wrong)
		}
		if n := e.throttleFails(); n != 1 {
			t.Errorf("%s: counted %d times, want 1", r, n)
		}
	}
}

// TestLoginPageHint: the hint shows the forms of user name the flow was
// given (from the directory's configuration), and mentions app passwords
// only when they are offered. (Before: fixed text naming
// alice@example.com and EXAMPLE\alice whatever the directory accepted.)
func TestLoginPageHint(t *testing.T) {
	for _, c := range []struct {
		name string
		s    setup
		want string
	}{
		{"all forms, app passwords", setup{appPasswords: true, page: login.LoginPage{Hint: login.Hint{UPNSuffix: "corp.example", Domain: "CORP", Plain: true}}},
			`Use your organisation account. For example: alice@corp.example, CORP\alice or alice. On a phone or tablet app you can use an app password instead of your domain password.`},
		{"UPN and down-level", setup{page: login.LoginPage{Hint: login.Hint{UPNSuffix: "corp.example", Domain: "CORP"}}},
			`Use your organisation account. For example: alice@corp.example or CORP\alice.`},
		{"UPN only", setup{page: login.LoginPage{Hint: login.Hint{UPNSuffix: "corp.example"}}},
			`Use your organisation account. For example: alice@corp.example.`},
		{"nothing known", setup{}, `Use your organisation account.`},
	} {
		e := newEnv(t, c.s)
		b := e.browser()
		b.get(signInURL(realm, "c")).wantRedirect(t, login.PathLogin)
		p := b.get(login.PathLogin)
		var hint string
		for _, n := range p.doc.all("p") {
			if strings.Contains(n.textContent(), "organisation account") {
				hint = strings.TrimSpace(n.textContent())
			}
		}
		if hint != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, hint, c.want)
		}
	}
}

// lookupSaysMustChange is a directory whose password-less lookup reports
// must-change (a directory that checks pwdLastSet there too).
type lookupSaysMustChange struct{ login.Directory }

func (lookupSaysMustChange) Lookup(context.Context, string) (claims.Identity, error) {
	return claims.Identity{}, claims.Rejected(claims.ReasonMustChange, "pwdLastSet is 0")
}

// TestMustChangeNeverFromLookup: when the domain password was wrong and
// the app-password path's lookup says must-change, nothing was verified:
// the page stays generic and the attempt counts.
func TestMustChangeNeverFromLookup(t *testing.T) {
	e := newEnv(t, setup{appPasswords: true, page: login.LoginPage{PasswordChangeURL: changeURL},
		directory: func(d login.Directory) login.Directory { return lookupSaysMustChange{d} }})
	b := e.browser()
	b.get(signInURL(realm, "c")).wantRedirect(t, login.PathLogin)
	p := b.password("alice", "wrong password")
	wantMessage(t, p, "error.credentials")
	if strings.Contains(p.body, changeURL) || strings.Contains(p.body, "must be changed") {
		t.Errorf("a wrong password named the account's state:\n%s", p.body)
	}
	if n := e.throttleFails(); n != 1 {
		t.Errorf("counted %d times, want 1", n)
	}
}
