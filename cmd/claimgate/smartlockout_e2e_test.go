package main

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/testutil"
)

// xffClient is a browser behind a trusted reverse proxy: every request
// carries X-Forwarded-For with the address it claims.
type xffClient struct {
	t    *testing.T
	fx   *fixture
	c    *http.Client
	last string // body of the last page
	path string // path of the last page
}

type xffTransport struct{ addr string }

func (x xffTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", x.addr)
	return http.DefaultTransport.RoundTrip(r)
}

func newXFFClient(t *testing.T, fx *fixture, addr string) *xffClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &xffClient{t: t, fx: fx, c: &http.Client{Jar: jar, Transport: xffTransport{addr}}}
}

func (x *xffClient) read(resp *http.Response, err error) int {
	x.t.Helper()
	if err != nil {
		x.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	x.last, x.path = string(b), resp.Request.URL.Path
	return resp.StatusCode
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (x *xffClient) csrf() string {
	x.t.Helper()
	m := csrfField.FindStringSubmatch(x.last)
	if m == nil {
		x.t.Fatalf("no CSRF token on %s:\n%s", x.path, x.last)
	}
	return m[1]
}

// begin starts a sign-in at the relying party and lands on the login page.
func (x *xffClient) begin() {
	x.t.Helper()
	if st := x.read(x.c.Get(x.fx.rp.beginURL())); st != 200 || x.path != "/login" {
		x.t.Fatalf("begin: %d at %s", st, x.path)
	}
}

func (x *xffClient) post(path string, form url.Values) int {
	x.t.Helper()
	form.Set("csrf", x.csrf())
	return x.read(x.c.PostForm(x.fx.base+path, form))
}

var (
	formAction  = regexp.MustCompile(`<form id="autopost" method="post" action="([^"]+)"`)
	hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// submitAutoPost does what the token page's script does: post its form to
// the relying party. A page without one is left alone.
func (x *xffClient) submitAutoPost() {
	x.t.Helper()
	m := formAction.FindStringSubmatch(x.last)
	if m == nil {
		return
	}
	form := url.Values{}
	for _, f := range hiddenField.FindAllStringSubmatch(x.last, -1) {
		form.Set(html.UnescapeString(f[1]), html.UnescapeString(f[2]))
	}
	x.read(x.c.PostForm(html.UnescapeString(m[1]), form))
}

// wrongCodeFor returns a six-digit code that is not the current one.
func wrongCodeFor(t *testing.T, seed string) string {
	right := testutil.TOTP(t, seed)
	for _, c := range []string{"000000", "111111"} {
		if c != right {
			return c
		}
	}
	return "222222"
}

// TestServeSmartLockoutAcrossAddresses: against a running `claimgate
// serve` behind a trusted proxy, an attacker who knows alice's password
// spreads wrong one-time codes over 40 addresses, 4 each (below
// max_failures everywhere). After 10 wrong codes from unfamiliar addresses
// alice is locked for unfamiliar addresses (audited), further codes are
// not checked, a fresh address cannot even pass the password, and alice at
// her familiar address still signs in. The same holds for passwords at 20.
func TestServeSmartLockoutAcrossAddresses(t *testing.T) {
	alice := e2eUser{Name: "alice", Password: newPassword(t), TOTP: newSeed(t)}
	bob := e2eUser{Name: "bob", Password: newPassword(t), TOTP: newSeed(t)}
	fx := newFixture(t, alice, bob)
	fx.writeConfig(t, serveConfig{server: "trusted_proxies: [127.0.0.1/32]\n"})
	startServe(t, fx)

	// signIn signs who in from addr. The TOTP step of the code is the
	// current one plus ahead (within the accepted skew): a second sign-in
	// within one 30 s step needs the next step's code, since a used step
	// is refused.
	signIn := func(who e2eUser, addr string, ahead int) bool {
		x := newXFFClient(t, fx, addr)
		x.begin()
		x.post("/login", url.Values{"username": {who.Name}, "password": {who.Password}})
		if x.path != "/login/code" {
			t.Logf("sign-in of %s from %s stopped at %s", who.Name, addr, x.path)
			return false
		}
		before := fx.rp.count()
		x.post("/login/code", url.Values{"code": {testutil.TOTPAt(t, who.TOTP, time.Now().Add(time.Duration(ahead)*30*time.Second))}})
		x.submitAutoPost()
		if fx.rp.count() != before+1 {
			t.Logf("sign-in of %s from %s: code step ended at %s:\n%s", who.Name, addr, x.path, x.last)
			return false
		}
		return true
	}
	const home = "192.0.2.50"
	if !signIn(alice, home, 0) {
		t.Fatal("alice's first sign-in from home failed")
	}

	wrong := wrongCodeFor(t, alice.TOTP)
	passwordsRefused := 0
	for i := range 40 {
		x := newXFFClient(t, fx, fmt.Sprintf("2001:db8:%x::1", i+1))
		x.begin()
		x.post("/login", url.Values{"username": {"alice"}, "password": {alice.Password}})
		if x.path != "/login/code" {
			passwordsRefused++
			continue
		}
		for range 4 {
			x.post("/login/code", url.Values{"code": {wrong}})
		}
	}
	recs := readAudit(t, fx)
	badCodes, lockedCodes := 0, 0
	for _, r := range recs {
		if string(r.Event) == "second_factor_failed" && r.User == "alice" {
			switch r.Reason {
			case "bad_code":
				badCodes++
			case "locked_out":
				lockedCodes++
			}
		}
	}
	if badCodes != 10 {
		t.Errorf("%d wrong codes were checked over 40 addresses, want 10", badCodes)
	}
	lock := findAudit(recs, "lockout", "alice")
	if lock == nil || lock.Reason != "user" {
		t.Fatalf("no user-wide lockout audit record for alice: %+v", lock)
	}
	t.Logf("checked %d wrong codes, refused %d codes and %d password steps as locked", badCodes, lockedCodes, passwordsRefused)

	// A new address with the right password and code gets nothing.
	x := newXFFClient(t, fx, "2001:db8:ffff::1")
	x.begin()
	x.post("/login", url.Values{"username": {"alice"}, "password": {alice.Password}})
	if x.path == "/login/code" {
		x.post("/login/code", url.Values{"code": {testutil.TOTP(t, alice.TOTP)}})
		t.Fatalf("a fresh address passed the password during the lock (then %s)", x.path)
	}
	if !strings.Contains(x.last, "incorrect") {
		t.Errorf("the locked password step does not look like a wrong password:\n%s", x.last)
	}
	// Alice at home is not affected; nor is bob anywhere.
	if !signIn(alice, home, 1) {
		t.Error("alice at her familiar address was locked out")
	}
	if !signIn(bob, "2001:db8:ffff::1", 0) {
		t.Error("bob was locked out by alice's attacker")
	}

	// Passwords: bob, 4 wrong passwords at each of many addresses.
	checked := 0
	for i := range 8 {
		x := newXFFClient(t, fx, fmt.Sprintf("198.51.100.%d", i+1))
		x.begin()
		for range 4 {
			x.post("/login", url.Values{"username": {"bob"}, "password": {"wrong-" + newPassword(t)}})
		}
	}
	for _, r := range readAudit(t, fx) {
		if string(r.Event) == "first_factor_failed" && r.User == "bob" && r.Reason == "bad_password" {
			checked++
		}
	}
	if checked != 20 {
		t.Errorf("%d wrong passwords for bob were checked over 8 addresses, want 20", checked)
	}
	if signIn(bob, "198.51.100.200", 1) {
		t.Error("bob signed in from a fresh unfamiliar address during his lock")
	}
	if !signIn(bob, "2001:db8:ffff::1", 1) {
		t.Error("bob at his familiar address was locked out")
	}
}
