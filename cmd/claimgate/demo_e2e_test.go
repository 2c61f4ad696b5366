package main

import (
	"context"
	"net/url"
	"path/filepath"
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

// browse runs chromedp actions with a per-step timeout.
func browse(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("browser step failed at %s: %v\npage text: %s", loc, err, body)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("read %s: %v\npage: %s", sel, err, body)
	}
	return s
}

// password fills the first step.
func password(t *testing.T, ctx context.Context, user, pw string) {
	browse(t, ctx,
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SetValue(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Click(chromedp.CSS("form button[type=submit]")),
	)
}

// code fills the second step.
func code(t *testing.T, ctx context.Context, c string) {
	browse(t, ctx,
		chromedp.WaitVisible(chromedp.CSS("#code")),
		chromedp.SendKeys(chromedp.CSS("#code"), c),
		chromedp.Click(chromedp.CSS("form button[type=submit]")),
	)
}

// freshStep waits until at least 12 s remain in the current 30 s TOTP step,
// so a code used twice in a test is still inside its own time window the
// second time: only replay protection can refuse it then.
func freshStep() {
	if rem := 30 - time.Now().Unix()%30; rem < 12 {
		time.Sleep(time.Duration(rem)*time.Second + 200*time.Millisecond)
	}
}

// claimValues reads the claims table of the demo relying party.
func claimValues(t *testing.T, ctx context.Context, typ string) []string {
	t.Helper()
	var vals []string
	js := `Array.from(document.querySelectorAll('td[data-claim="` + typ + `"]')).map(e => e.textContent)`
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	vals, err := chromedp.Run(sctx, chromedp.Evaluate[[]string](js))
	if err != nil {
		t.Fatalf("read claim %s: %v", typ, err)
	}
	return vals
}

func TestDemoEndToEndInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; run without -short (make test)")
	}
	d := startDemo(t, t.TempDir())
	alice := d.users["alice"]
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

	ctx := testutil.Browser(t)
	freshStep()
	usedCode := testutil.TOTP(t, alice.Secret)
	t.Run("sign in with password and oathtool code", func(t *testing.T) {
		browse(t, ctx, chromedp.Navigate(d.base+"/demo/"), chromedp.Click(chromedp.CSS("#start")))
		password(t, ctx, "alice", alice.Password)
		code(t, ctx, usedCode)
		browse(t, ctx, chromedp.WaitVisible(chromedp.CSS("#verdict")))
		if v := text(t, ctx, "#verdict"); !strings.Contains(v, "valid") {
			t.Fatalf("relying party verdict %q", v)
		}
		if got := claimValues(t, ctx, claims.PrimarySID); len(got) != 1 || got[0] != aliceSID {
			t.Errorf("primarysid = %v, want %s", got, aliceSID)
		}
		amr := strings.Join(claimValues(t, ctx, claims.AuthnMethodsReferences), " ")
		if !strings.Contains(amr, claims.MultipleAuthn) || !strings.Contains(amr, claims.AMRPassword) {
			t.Errorf("authnmethodsreferences = %q, want password and multipleauthn", amr)
		}
		if got := claimValues(t, ctx, claims.UPN); len(got) != 1 || got[0] != "alice@demo.example" {
			t.Errorf("upn = %v", got)
		}
		if got := claimValues(t, ctx, "authenticationmethod"); len(got) != 1 || got[0] != claims.MultipleAuthn {
			t.Errorf("AuthenticationMethod = %v, want multipleauthn", got)
		}
		if got := claimValues(t, ctx, claims.WindowsAccountName); len(got) != 1 || got[0] != `DEMO\alice` {
			t.Errorf("windowsaccountname = %v", got)
		}
		if len(claimValues(t, ctx, claims.GroupSID)) != 3 {
			t.Errorf("groupsid values = %v, want 3", claimValues(t, ctx, claims.GroupSID))
		}
	})

	t.Run("replayed code is refused", func(t *testing.T) {
		ctx2 := testutil.Browser(t) // a new browser: no single sign-on session
		browse(t, ctx2, chromedp.Navigate(d.base+"/demo/begin"))
		password(t, ctx2, "alice", alice.Password)
		code(t, ctx2, usedCode)
		if msg := text(t, ctx2, ".error"); !strings.Contains(msg, "code is not valid") {
			t.Fatalf("replayed code: page says %q", msg)
		}
	})

	t.Run("wrong password and unknown user look the same", func(t *testing.T) {
		ctx2 := testutil.Browser(t)
		browse(t, ctx2, chromedp.Navigate(d.base+"/demo/begin"))
		password(t, ctx2, "bob", "not-the-password")
		wrong := text(t, ctx2, ".error")
		password(t, ctx2, "mallory", "not-the-password")
		unknown := text(t, ctx2, ".error")
		if wrong != unknown || !strings.Contains(wrong, "incorrect") {
			t.Fatalf("wrong password says %q, unknown user says %q", wrong, unknown)
		}
	})

	t.Run("wrong code is refused", func(t *testing.T) {
		ctx2 := testutil.Browser(t)
		browse(t, ctx2, chromedp.Navigate(d.base+"/demo/begin"))
		password(t, ctx2, "bob", d.users["bob"].Password)
		good := testutil.TOTP(t, d.users["bob"].Secret)
		bad := "000000"
		if good == bad {
			bad = "111111"
		}
		code(t, ctx2, bad)
		if msg := text(t, ctx2, ".error"); !strings.Contains(msg, "code is not valid") {
			t.Fatalf("wrong code: page says %q", msg)
		}
	})

	realm := d.base + demo.RealmPath
	for _, tc := range []struct{ name, query, want string }{
		{"unknown realm", "wa=wsignin1.0&wtrealm=" + url.QueryEscape("urn:not-configured"), "not known to this sign-in service"},
		{"foreign wreply", "wa=wsignin1.0&wtrealm=" + url.QueryEscape(realm) + "&wreply=" + url.QueryEscape("https://evil.example/adfs/ls/"), "does not trust"},
		{"no wa", "wtrealm=" + url.QueryEscape(realm), "not valid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx2 := testutil.Browser(t)
			browse(t, ctx2, chromedp.Navigate(d.base+"/wsfed?"+tc.query))
			if msg := text(t, ctx2, ".error"); !strings.Contains(msg, tc.want) {
				t.Fatalf("page says %q, want %q", msg, tc.want)
			}
			if loc, _ := chromedp.Run(ctx2, chromedp.Location()); !strings.HasPrefix(loc, d.base+"/wsfed") {
				t.Fatalf("browser was sent to %s", loc)
			}
		})
	}

	t.Run("tampered wctx is caught by the relying party", func(t *testing.T) {
		ctx2 := testutil.Browser(t)
		freshStep()
		browse(t, ctx2, chromedp.Navigate(d.base+"/demo/begin")) // sets the relying party's wctx cookie
		q := url.Values{"wa": {"wsignin1.0"}, "wtrealm": {realm}, "wctx": {"rm=0&id=passive&ru=%2fevil%2f"}}
		browse(t, ctx2, chromedp.Navigate(d.base+"/wsfed?"+q.Encode()))
		password(t, ctx2, "bob", d.users["bob"].Password)
		code(t, ctx2, testutil.TOTP(t, d.users["bob"].Secret))
		if v := text(t, ctx2, "#verdict"); !strings.Contains(v, "rejected") {
			t.Fatalf("verdict %q, want rejected", v)
		}
		checks := text(t, ctx2, ".checks")
		if !strings.Contains(checks, "✘ wctx returned unchanged") || !strings.Contains(checks, "✔ signature") {
			t.Fatalf("checks: %s", checks)
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
	ctx := testutil.Browser(t)
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	browse(t, ctx, chromedp.Navigate(d.base+"/demo/begin"))
	password(t, ctx, "alice", d.users["alice"].Password)
	code(t, ctx, testutil.TOTP(t, d.users["alice"].Secret))
	if msg := text(t, ctx, "noscript, form#autopost"); !strings.Contains(msg, "Continue") {
		t.Fatalf("token page: %q", msg)
	}
	browse(t, ctx, chromedp.Click(chromedp.CSS("form#autopost button")), chromedp.WaitVisible(chromedp.CSS("#verdict")))
	if v := text(t, ctx, "#verdict"); !strings.Contains(v, "valid") {
		t.Fatalf("verdict %q", v)
	}
}
