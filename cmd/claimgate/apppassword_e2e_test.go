package main

import (
	"crypto/rand"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/testutil"
)

// newSeed is a fresh Base32 TOTP seed for the users file.
func newSeed(t *testing.T) string {
	t.Helper()
	s, err := mfa.NewSecret(rand.Reader, 20)
	if err != nil {
		t.Fatal(err)
	}
	return mfa.EncodeBase32(s)
}

// newPassword is a random password, so no test can pass by guessing one.
func newPassword(t *testing.T) string {
	t.Helper()
	pw, err := mfa.NewAppPassword(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return "Pw-" + pw
}

var appPasswordLine = regexp.MustCompile(`(?m)^app password (\S+) "([^"]*)" for (\S+) \(shown once[^\n]*\n(\S[^\n]*)$`)

// createAppPassword runs `claimgate users app-password-create USER --name N`
// and returns the id and the password it printed.
func createAppPassword(t *testing.T, fx *fixture, user, name string) (id, pw string) {
	t.Helper()
	out := fx.cli(t, "users", "app-password-create", user, "--name", name)
	m := appPasswordLine.FindStringSubmatch(out)
	if m == nil || m[2] != name || m[3] != user {
		t.Fatalf("app-password-create printed:\n%s", out)
	}
	return m[1], strings.TrimSpace(m[4])
}

// TestServeAppPasswordSignIn: an app password created with the CLI signs in
// instead of the domain password (then the second factor), stops working
// once revoked, and under app_password_only is the only thing accepted.
func TestServeAppPasswordSignIn(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; run without -short (make test)")
	}
	alice := e2eUser{Name: "alice", Password: newPassword(t), TOTP: newSeed(t)}
	bob := e2eUser{Name: "bob", Password: newPassword(t), TOTP: newSeed(t)}
	fx := newFixture(t, alice, bob)
	fx.writeConfig(t, serveConfig{})
	srv := startServe(t, fx)
	browser := testutil.Browser(t)

	id, appPW := createAppPassword(t, fx, "alice", "iPhone Lync")
	if appPW == "" || strings.Contains(appPW, alice.Password) {
		t.Fatalf("app password %q", appPW)
	}

	t.Run("app password instead of the domain password", func(t *testing.T) {
		s := newSession(t, browser)
		s.begin(fx.rp)
		if st := s.password("alice", appPW); st != 200 || s.heading() != titleCode {
			s.fail("after the app password: status %d, page %q", st, s.heading())
		}
		before := fx.rp.count()
		s.code(testutil.TOTP(t, alice.TOTP))
		tok := s.tokenArrives(fx.rp, before)
		if got := claim(tok, claims.UPN); !slices.Equal(got, []string{"alice@e2e.example"}) {
			t.Errorf("upn = %v", got)
		}
		if amr := claim(tok, claims.AuthnMethodsReferences); !slices.Contains(amr, claims.MultipleAuthn) {
			t.Errorf("authnmethodsreferences = %v, want multipleauthn", amr)
		}
		if list := fx.cli(t, "users", "list", "alice"); !regexp.MustCompile(`"iPhone Lync" active, created \S+, last used 20`).MatchString(list) {
			t.Errorf("users list does not show the app password's last use:\n%s", list)
		}
		recs := readAudit(t, fx)
		if r := findAudit(recs, "app_password_used", "alice"); r == nil || r.Detail["name"] != "iPhone Lync" {
			t.Errorf("no app_password_used record naming the app password: %+v", r)
		}
		if r := findAudit(recs, "first_factor_ok", "alice"); r == nil || r.Factor != "app_password" {
			t.Errorf("first_factor_ok record = %+v, want factor app_password", r)
		}
	})

	out := fx.cli(t, "users", "app-password-revoke", "alice", "--id", id)
	if !strings.Contains(out, "revoked") {
		t.Fatalf("revoke printed %q", out)
	}

	t.Run("revoked app password is refused", func(t *testing.T) {
		s := newSession(t, browser)
		s.begin(fx.rp)
		if st := s.password("alice", appPW); st != 200 {
			s.fail("status %d", st)
		}
		s.expectError(msgCredentials)
		if s.has("#code") {
			s.fail("revoked app password reached the code page")
		}
		// The domain password still works under domain_password_allowed.
		if s.password("alice", alice.Password); s.heading() != titleCode {
			s.fail("domain password: page %q", s.heading())
		}
		if r := findAudit(readAudit(t, fx), "app_password_revoked", "alice"); r == nil {
			t.Error("no app_password_revoked audit record")
		}
	})

	t.Run("app_password_only refuses the domain password", func(t *testing.T) {
		srv.stop(t)
		fx.writeConfig(t, serveConfig{mfa: "app_passwords: {policy: app_password_only}"})
		startServe(t, fx)
		_, bobPW := createAppPassword(t, fx, "bob", "Android Outlook")
		s := newSession(t, browser)
		s.begin(fx.rp)
		if label := s.text("label[for=password]"); label != "App password" {
			t.Errorf("password label %q, want App password", label)
		}
		s.password("bob", bob.Password)
		s.expectError(msgCredentials)
		if s.has("#code") {
			s.fail("domain password accepted under app_password_only")
		}
		if st := s.password("bob", bobPW); st != 200 || s.heading() != titleCode {
			s.fail("app password: status %d, page %q", st, s.heading())
		}
		before := fx.rp.count()
		s.code(testutil.TOTP(t, bob.TOTP))
		if got := claim(s.tokenArrives(fx.rp, before), claims.UPN); !slices.Equal(got, []string{"bob@e2e.example"}) {
			t.Errorf("upn = %v", got)
		}
	})
}
