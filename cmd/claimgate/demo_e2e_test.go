package main

import (
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/demo"
	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/internal/userfile"
)

// freshStep waits until at least 12 s remain in the current 30 s TOTP step,
// so a code used twice in a test is still inside its own time window the
// second time: only replay protection can refuse it then.
func freshStep() {
	if rem := 30 - time.Now().Unix()%30; rem < 12 {
		time.Sleep(time.Duration(rem)*time.Second + 200*time.Millisecond)
	}
}

// claimValues reads the demo relying party's claims table.
func (s *session) claimValues(typ string) []string {
	s.t.Helper()
	js := `Array.from(document.querySelectorAll('td[data-claim="` + typ + `"]')).map(e => e.textContent)`
	vals, err := chromedp.Run(s.ctx, chromedp.Evaluate[[]string](js))
	if err != nil {
		s.fail("read claim %s: %v", typ, err)
	}
	return vals
}

// demoBegin starts a sign-in at the demo relying party.
func (s *session) demoBegin(d *runningDemo) {
	s.t.Helper()
	if st := s.load("open the demo relying party", chromedp.Navigate(d.base+"/demo/begin")); st != 200 {
		s.fail("demo start answered %d", st)
	}
}

// demoVerdict waits for the demo relying party's page and returns its verdict.
func (s *session) demoVerdict() string {
	s.t.Helper()
	s.do("relying party page", chromedp.WaitVisible(chromedp.CSS("#verdict")))
	return s.text("#verdict")
}

func TestDemoEndToEndInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; run without -short (make test)")
	}
	d := startDemo(t, t.TempDir())
	alice, bob := d.users["alice"], d.users["bob"]
	users, err := userfile.ReadFile(filepath.Join(d.dir, "users.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var aliceSID string
	for _, u := range users.Users {
		if u.Username == "alice" {
			aliceSID = u.SID
		}
	}
	browser := testutil.Browser(t)

	freshStep()
	usedCode := testutil.TOTP(t, alice.Secret)
	t.Run("sign in with password and oathtool code", func(t *testing.T) {
		s := newSession(t, browser)
		s.load("demo start page", chromedp.Navigate(d.base+"/demo/"))
		s.load("start sign-in", chromedp.Click(chromedp.CSS("#start")))
		if st := s.password("alice", alice.Password); st != 200 || s.heading() != titleCode {
			s.fail("after the password: %d %q", st, s.heading())
		}
		s.code(usedCode)
		if v := s.demoVerdict(); !strings.Contains(v, "valid") {
			s.fail("relying party verdict %q", v)
		}
		if got := s.claimValues(claims.PrimarySID); len(got) != 1 || got[0] != aliceSID {
			t.Errorf("primarysid = %v, want %s", got, aliceSID)
		}
		amr := strings.Join(s.claimValues(claims.AuthnMethodsReferences), " ")
		if !strings.Contains(amr, claims.MultipleAuthn) || !strings.Contains(amr, claims.AMRPassword) {
			t.Errorf("authnmethodsreferences = %q, want password and multipleauthn", amr)
		}
		if got := s.claimValues(claims.UPN); len(got) != 1 || got[0] != "alice@demo.example" {
			t.Errorf("upn = %v", got)
		}
		if got := s.claimValues("authenticationmethod"); len(got) != 1 || got[0] != claims.MultipleAuthn {
			t.Errorf("AuthenticationMethod = %v, want multipleauthn", got)
		}
		if got := s.claimValues(claims.WindowsAccountName); len(got) != 1 || got[0] != `DEMO\alice` {
			t.Errorf("windowsaccountname = %v", got)
		}
		// The demo user's three groups, then the logon SIDs (claims.logon_sids).
		if got := s.claimValues(claims.GroupSID); len(got) != 3+len(claims.DefaultLogonSIDs()) || !slices.Equal(got[3:], claims.DefaultLogonSIDs()) {
			t.Errorf("groupsid values = %v, want 3 and %v", got, claims.DefaultLogonSIDs())
		}
	})

	t.Run("replayed code is refused", func(t *testing.T) {
		s := newSession(t, browser) // its own cookies: no single sign-on
		s.demoBegin(d)
		s.password("alice", alice.Password)
		s.code(usedCode)
		s.expectError(msgBadCode)
	})

	t.Run("wrong password and unknown user look the same", func(t *testing.T) {
		s := newSession(t, browser)
		s.demoBegin(d)
		s.password("bob", "not-the-password")
		wrong := s.text(".error")
		s.password("mallory", "not-the-password")
		unknown := s.text(".error")
		if wrong != unknown || !strings.Contains(wrong, msgCredentials) {
			t.Fatalf("wrong password says %q, unknown user says %q", wrong, unknown)
		}
	})

	t.Run("wrong code is refused", func(t *testing.T) {
		s := newSession(t, browser)
		s.demoBegin(d)
		s.password("bob", bob.Password)
		bad := "000000"
		if testutil.TOTP(t, bob.Secret) == bad {
			bad = "111111"
		}
		s.code(bad)
		s.expectError(msgBadCode)
	})

	realm := d.base + demo.RealmPath
	for _, tc := range []struct{ name, query, want string }{
		{"unknown realm", "wa=wsignin1.0&wtrealm=" + url.QueryEscape("urn:not-configured"), "not known to this sign-in service"},
		{"foreign wreply", "wa=wsignin1.0&wtrealm=" + url.QueryEscape(realm) + "&wreply=" + url.QueryEscape("https://evil.example/adfs/ls/"), "does not trust"},
		{"no wa", "wtrealm=" + url.QueryEscape(realm), "not valid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSession(t, browser)
			if st := s.load("bad request", chromedp.Navigate(d.base+"/wsfed?"+tc.query)); st != 400 {
				s.fail("status %d, want 400", st)
			}
			s.expectError(tc.want)
			if loc, _ := chromedp.Run(s.ctx, chromedp.Location()); !strings.HasPrefix(loc, d.base+"/wsfed") {
				s.fail("browser was sent to %s", loc)
			}
		})
	}

	t.Run("tampered wctx is caught by the relying party", func(t *testing.T) {
		s := newSession(t, browser)
		s.demoBegin(d) // sets the relying party's wctx cookie
		q := url.Values{"wa": {"wsignin1.0"}, "wtrealm": {realm}, "wctx": {"rm=0&id=passive&ru=%2fevil%2f"}}
		s.load("tampered request", chromedp.Navigate(d.base+"/wsfed?"+q.Encode()))
		s.password("bob", bob.Password)
		s.code(testutil.TOTP(t, bob.Secret))
		if v := s.demoVerdict(); !strings.Contains(v, "rejected") {
			s.fail("verdict %q, want rejected", v)
		}
		checks := s.text(".checks")
		if !strings.Contains(checks, "✘ wctx returned unchanged") || !strings.Contains(checks, "✔ signature") {
			s.fail("checks: %s", checks)
		}
	})
}

// TestAutoPostWithoutJavaScript: with scripts off, the token page shows a
// Continue button that POSTs the same form.
func TestAutoPostWithoutJavaScript(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; run without -short (make test)")
	}
	d := startDemo(t, t.TempDir())
	s := newSession(t, testutil.Browser(t))
	if _, err := chromedp.Call(s.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	s.demoBegin(d)
	s.password("alice", d.users["alice"].Password)
	s.code(testutil.TOTP(t, d.users["alice"].Secret))
	if msg := s.text("form#autopost"); !strings.Contains(msg, "Continue") {
		s.fail("token page: %q", msg)
	}
	s.load("press Continue", chromedp.Click(chromedp.CSS("form#autopost button")))
	if v := s.demoVerdict(); !strings.Contains(v, "valid") {
		s.fail("verdict %q", v)
	}
}

// TestDemoSAML2EndToEndInChromium: from the demo's start page a browser
// signs in through the SAML 2.0 service provider with a demo user: the
// SP's AuthnRequest, claimgate's password and code pages, the signed
// Response posted to the SP's ACS, which accepts it and lists alice's
// NameID, SessionIndex, AuthnContextClassRef and attributes. The same
// browser is then signed in to the WS-Fed side without a password (one
// session for both protocols), and the SP's single logout ends that
// session: the next SAML sign-in asks for the password again.
func TestDemoSAML2EndToEndInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; run without -short (make test)")
	}
	d := startDemo(t, t.TempDir())
	alice := d.users["alice"]
	s := newSession(t, testutil.Browser(t))
	s.load("demo start page", chromedp.Navigate(d.base+"/demo/"))
	if !s.has("#start") || !s.has("#start-saml2") {
		s.fail("the start page does not offer both protocols")
	}
	s.load("start the SAML sign-in", chromedp.Click(chromedp.CSS("#start-saml2")))
	if loc, _ := chromedp.Run(s.ctx, chromedp.Location()); !strings.HasPrefix(loc, d.base+"/login") {
		s.fail("the SAML start page sent the browser to %s, want claimgate's sign-in", loc)
	}
	if st := s.password("alice", alice.Password); st != 200 || s.heading() != titleCode {
		s.fail("after the password: %d %q", st, s.heading())
	}
	s.code(testutil.TOTP(t, alice.Secret))
	if v := s.demoVerdict(); !strings.Contains(v, "The Response is valid") {
		s.fail("service provider verdict %q", v)
	}
	if loc, _ := chromedp.Run(s.ctx, chromedp.Location()); loc != d.base+demo.SAML2ACSPath {
		s.fail("the Response arrived at %s", loc)
	}
	one := func(typ, want string) {
		t.Helper()
		if got := s.claimValues(typ); len(got) != 1 || want != "" && got[0] != want || got[0] == "" {
			t.Errorf("%s = %q, want %q", typ, got, want)
		}
	}
	one("nameid", "alice@demo.example")
	one("authncontextclassref", claims.MultipleAuthn)
	one("sessionindex", "")
	one(claims.UPN, "alice@demo.example")
	one(claims.WindowsAccountName, `DEMO\alice`)
	amr := strings.Join(s.claimValues(claims.AuthnMethodsReferences), " ")
	if !strings.Contains(amr, claims.MultipleAuthn) || !strings.Contains(amr, claims.AMRPassword) {
		t.Errorf("authnmethodsreferences = %q, want password and multipleauthn", amr)
	}
	if got := s.claimValues(claims.GroupSID); len(got) != 3+len(claims.DefaultLogonSIDs()) {
		t.Errorf("groupsid values = %v", got)
	}

	// One claimgate session serves both protocols.
	s.demoBegin(d)
	if v := s.demoVerdict(); !strings.Contains(v, "valid") {
		s.fail("WS-Fed after the SAML sign-in: verdict %q, want a token without a new sign-in", v)
	}

	s.load("back to the SAML sign-in", chromedp.Navigate(d.base+"/demo/"))
	s.load("start SAML again", chromedp.Click(chromedp.CSS("#start-saml2")))
	if v := s.demoVerdict(); !strings.Contains(v, "The Response is valid") {
		s.fail("single sign-on over SAML: verdict %q", v)
	}
	s.load("sign out", chromedp.Click(chromedp.CSS("#signout")))
	if v := s.demoVerdict(); !strings.Contains(v, "Signed out") {
		s.fail("single logout: verdict %q", v)
	}
	s.load("sign in after signing out", chromedp.Navigate(d.base+"/demo/saml2/begin"))
	if s.heading() == titleCode || !s.has("#password") {
		s.fail("after single logout the SAML sign-in does not ask for the password (%q)", s.heading())
	}
}
