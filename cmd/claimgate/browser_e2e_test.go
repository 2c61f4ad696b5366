package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/claimgate/claimgate/sts/saml11"
)

// Browser steps for the serve end-to-end tests. Every form submission
// waits for the page it leads to (chromedp.RunResponse), so a check never
// reads the page that was there before the click.

// session is one browser profile: its own cookies, so no single sign-on
// carries over from another sign-in.
type session struct {
	t   *testing.T
	ctx context.Context
}

// newSession opens a fresh browser context (an incognito-like profile) in
// the shared browser. Much cheaper than a new Chromium.
func newSession(t *testing.T, browser context.Context) *session {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("new browser context: %v", err)
	}
	return &session{t: t, ctx: ctx}
}

func (s *session) fail(format string, args ...any) {
	s.t.Helper()
	loc, _ := chromedp.Run(s.ctx, chromedp.Location())
	body, _ := chromedp.Run(s.ctx, chromedp.Text(chromedp.CSS("body")))
	s.t.Fatalf(format+"\nat %s, page text: %s", append(args, loc, body)...)
}

// load runs steps that navigate and returns the HTTP status of the page
// they lead to (after redirects).
func (s *session) load(what string, steps ...chromedp.Action[chromedp.Void]) int64 {
	s.t.Helper()
	return s.response(what, steps...).Status
}

// response runs steps that navigate and returns the response of the page
// they lead to.
func (s *session) response(what string, steps ...chromedp.Action[chromedp.Void]) *network.Response {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		s.fail("%s: %v", what, err)
	}
	if resp == nil {
		s.fail("%s: no response", what)
	}
	return resp
}

func (s *session) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		s.fail("%s: %v", what, err)
	}
}

// begin starts a sign-in at the relying party, which redirects to
// claimgate's password page.
func (s *session) begin(rp *relyingParty) {
	s.t.Helper()
	if st := s.load("open the relying party", chromedp.Navigate(rp.beginURL())); st != 200 {
		s.fail("sign-in start answered %d", st)
	}
	s.do("password page", chromedp.WaitVisible(chromedp.CSS("#username")))
}

// password submits the first step and returns the status of the page it
// leads to.
func (s *session) password(user, pw string) int64 {
	s.t.Helper()
	s.do("fill the password form", chromedp.WaitVisible(chromedp.CSS("#username")))
	s.typeInto("#username", user)
	s.typeInto("#password", pw)
	return s.load("submit the password", chromedp.Click(chromedp.CSS("form button[type=submit]")))
}

// code submits a one-time code on the code or enrolment page.
func (s *session) code(c string) int64 {
	s.t.Helper()
	s.do("code field", chromedp.WaitVisible(chromedp.CSS("#code")))
	s.typeInto("#code", c)
	return s.load("submit the code", chromedp.Click(chromedp.CSS("form button[type=submit]")))
}

// typeInto empties a form field and types v into it, key by key.
func (s *session) typeInto(sel, v string) {
	s.t.Helper()
	s.do("clear "+sel, chromedp.Evaluate[chromedp.Void](`document.querySelector(`+jsString(sel)+`).value = ''`))
	s.do("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), v))
}

// text reads the text of the first element matching sel.
func (s *session) text(sel string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		s.fail("read %s: %v", sel, err)
	}
	return v
}

// textContent reads the text of an element even when it is hidden (in a
// closed <details>).
func (s *session) textContent(sel string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		s.fail("read %s: %v", sel, err)
	}
	return v
}

// has reports whether an element matching sel is on the page now.
func (s *session) has(sel string) bool {
	s.t.Helper()
	n, err := chromedp.Run(s.ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(sel)+`).length`))
	if err != nil {
		s.fail("query %s: %v", sel, err)
	}
	return n > 0
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// heading is the page's h1: which step of the sign-in the browser is on.
func (s *session) heading() string { return strings.TrimSpace(s.text("h1")) }

// tokenArrives waits for the auto-POST to reach the relying party and
// returns the token it accepted.
func (s *session) tokenArrives(rp *relyingParty, before int) *saml11.Token {
	s.t.Helper()
	s.do("relying party page", chromedp.WaitVisible(chromedp.CSS("#verdict")))
	if v := s.text("#verdict"); v != "valid" {
		s.fail("relying party verdict %q", v)
	}
	if n := rp.count(); n != before+1 {
		s.fail("relying party received %d POSTs, want %d", n, before+1)
	}
	return rp.last(s.t)
}

// expectError checks the page shows the generic message want in .error.
func (s *session) expectError(want string) {
	s.t.Helper()
	if !s.has(".error") {
		s.fail("no error message on the page, want %q", want)
	}
	if got := s.text(".error"); !strings.Contains(got, want) {
		s.fail("page says %q, want %q", got, want)
	}
}

// Messages of templates/messages/en.json the tests look for.
const (
	msgCredentials = "The user name or password is incorrect."
	msgBadCode     = "That code is not valid."
	titleCode      = "Enter your code"
	titleEnrol     = "Set up your authenticator app"
	titleChoose    = "How do you want to confirm it is you?"
	titleLater     = "Try again later"
)
