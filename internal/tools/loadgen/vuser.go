package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/claimgate/claimgate/sts/saml11"
	"github.com/claimgate/claimgate/sts/wsfed"
)

// vuser is one enrolled directory user with its OATH token. The code is
// computed here from the secret (RFC 4226/6238, own code: the generator
// must not trust the server's implementation it measures).
type vuser struct {
	name   string
	secret []byte

	mu       sync.Mutex
	counter  uint64 // HOTP: the next counter to use
	lastStep int64  // TOTP: the last step used (the server refuses a replay)

	// jar is this user's browser: kept across the user's sign-ins (the
	// pool hands a user to one worker at a time), so whatever the server
	// keeps in a browser to recognise it survives; only the session
	// cookie is dropped before each sign-in (see signIn).
	jar *cookiejar.Jar
	// signedIn is set after the user's first completed sign-in: from then
	// on the server has seen it sign in from this address (familiar).
	signedIn bool
	// tr is this user's connections, from its own address (userAddr);
	// nil: the browser's shared transport (-shared-addr).
	tr *http.Transport
}

// userAddr is the loopback address the i-th user (from 0) connects from
// unless they share one: 127.0.1.1, 127.0.1.2, … 127.0.1.254, 127.0.2.1, …
// Linux routes all of 127.0.0.0/8 to the loopback interface.
func userAddr(i int) string {
	return netip.AddrFrom4([4]byte{127, byte(1 + i/254), 0, byte(1 + i%254)}).String()
}

func (u *vuser) serial() string    { return "LG-" + u.name }
func (u *vuser) secretB64() string { return base64.StdEncoding.EncodeToString(u.secret) }

func oath(secret []byte, counter uint64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1000000)
}

// nextCode is the code for this sign-in. For TOTP it reports false when
// the user already signed in during the current step: the caller takes
// another user rather than send a code the server must refuse.
func (u *vuser) nextCode(kind string, now time.Time) (string, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if kind == "totp" {
		step := now.Unix() / 30
		if step <= u.lastStep {
			return "", false
		}
		u.lastStep = step
		return oath(u.secret, uint64(step)), true
	}
	c := u.counter
	u.counter++
	return oath(u.secret, c), true
}

// pool hands users to workers so that no user runs two sign-ins at once
// (the server serialises one user's checks) and, for TOTP, no user is
// offered twice in one step.
type pool struct {
	kind  string
	free  chan *vuser
	waits int64 // times a worker found no usable user (TOTP only)
	mu    sync.Mutex
}

func newPool(kind string, users []*vuser) *pool {
	p := &pool{kind: kind, free: make(chan *vuser, len(users))}
	for _, u := range users {
		p.free <- u
	}
	return p
}

// take returns a user and its code, waiting for the next TOTP step when
// every free user has used the current one. wait is the time the
// generator held the sign-in back itself (TOTP users used up this step),
// which is not the server's latency; waiting for a user to come back
// from a sign-in in flight is (a slow server keeps them: in an open loop
// that is latency, not something to take off).
func (p *pool) take(ctx context.Context) (u *vuser, code string, wait time.Duration, err error) {
	var since time.Time // first user found used up this step
	defer func() {
		if !since.IsZero() {
			wait = time.Since(since)
		}
	}()
	for tries := 0; ; tries++ {
		select {
		case u = <-p.free:
		case <-ctx.Done():
			return nil, "", 0, ctx.Err()
		}
		if code, ok := u.nextCode(p.kind, time.Now()); ok {
			return u, code, 0, nil
		}
		if since.IsZero() {
			since = time.Now()
		}
		p.free <- u
		if tries >= cap(p.free) {
			p.mu.Lock()
			p.waits++
			p.mu.Unlock()
			tries = 0
			select {
			case <-time.After(200 * time.Millisecond):
			case <-ctx.Done():
				return nil, "", 0, ctx.Err()
			}
		}
	}
}

func (p *pool) give(u *vuser) { p.free <- u }

// browser is what a sign-in needs from HTTP: kept connections, as a
// browser keeps them (the user's own, or one shared transport); the
// cookies are each user's own (vuser.jar), or none for an attacker.
type browser struct {
	base      string
	transport *http.Transport
	cert      *x509.Certificate
	xff       func() string // the X-Forwarded-For to send; nil for none
}

// newTransport dials from the loopback address src (127.0.0.x), so the
// server sees distinct client addresses without any header.
func newTransport(src string, conns int) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	return &http.Transport{DialContext: d.DialContext, MaxIdleConns: conns, MaxIdleConnsPerHost: conns,
		IdleConnTimeout: time.Minute}
}

// client is an HTTP client with jar, or a fresh empty jar when nil, on
// tr, or the browser's shared transport when nil.
func (b *browser) client(jar http.CookieJar, tr *http.Transport) *http.Client {
	if jar == nil {
		jar, _ = cookiejar.New(nil)
	}
	if tr == nil {
		tr = b.transport
	}
	return &http.Client{Transport: tr, Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// signInError names the step that failed, so errors are counted by kind,
// and keeps what the server answered, so a report can say why.
type signInError struct {
	step   string
	err    error
	status int    // the HTTP status, 0 when no answer came
	gist   string // the page's title and alert, if any
	busy   bool   // the server's deliberate "busy, try again" (page.busy)
	// familiar is set on a busy answer to a user that had signed in
	// before from the same address: load shedding must spare it.
	familiar bool
}

func (e *signInError) Error() string {
	s := e.step + ": " + e.err.Error()
	if e.gist != "" {
		s += " [" + e.gist + "]"
	}
	return s
}

// answerErr is a step that got an unexpected answer p.
func answerErr(step string, p page, format string, a ...any) error {
	return &signInError{step: step, err: fmt.Errorf(format, a...), status: p.status, gist: p.gist(), busy: p.busy()}
}

func stepErr(step string, format string, a ...any) error {
	return &signInError{step: step, err: fmt.Errorf(format, a...)}
}

var (
	titleRe = regexp.MustCompile(`(?s)<title>(.*?)</title>`)
	alertRe = regexp.MustCompile(`(?s)<p class="error" role="alert">(.*?)</p>`)
	tagRe   = regexp.MustCompile(`<[^>]*>`)
)

// page is one response read to the end.
type page struct {
	status     int
	location   string
	retryAfter string
	body       string
}

// gist is the page's title and error message, cut short: what a person
// would read on it, for the error report.
func (p page) gist() string {
	var parts []string
	for _, re := range []*regexp.Regexp{titleRe, alertRe} {
		if m := re.FindStringSubmatch(p.body); m != nil {
			t := strings.Join(strings.Fields(html.UnescapeString(tagRe.ReplaceAllString(m[1], ""))), " ")
			if t != "" {
				parts = append(parts, t)
			}
		}
	}
	if len(parts) == 0 {
		t := strings.Join(strings.Fields(p.body), " ")
		if len(t) > 80 {
			t = t[:80] + "…"
		}
		return t
	}
	s := strings.Join(parts, ": ")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// busy is the answer the server gives by design when it sheds load from
// addresses it does not know (HTTP 503 with Retry-After and a "busy, try
// again" page); a 503 for a failing store or directory says "try again
// later" without "busy" and is a failure.
func (p page) busy() bool {
	return p.status == http.StatusServiceUnavailable && p.retryAfter != "" &&
		strings.Contains(strings.ToLower(p.gist()), "busy")
}

func (b *browser) do(c *http.Client, method, path string, form url.Values) (page, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	u := path
	if !strings.HasPrefix(path, "http") {
		u = b.base + path
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		return page{}, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.xff != nil {
		req.Header.Set("X-Forwarded-For", b.xff())
	}
	resp, err := c.Do(req)
	if err != nil {
		return page{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), retryAfter: resp.Header.Get("Retry-After"),
		body: string(raw)}, err
}

// form reads the page's form: its action and CSRF token, as a browser
// would submit them.
func form(step string, p page) (action, csrf string, err error) {
	if p.status != http.StatusOK {
		return "", "", answerErr(step, p, "status %d", p.status)
	}
	action, okA := formAction(p.body)
	csrf, okC := csrfField(p.body)
	if !okA || !okC {
		return "", "", answerErr(step, p, "no form with a csrf field")
	}
	return action, csrf, nil
}

// start is the wsignin1.0 GET and the redirect it answers with, followed
// to the password page.
func (b *browser) start(c *http.Client) (action, csrf string, err error) {
	q := url.Values{"wa": {"wsignin1.0"}, "wtrealm": {realm}, "wctx": {"loadgen"}}
	p, err := b.do(c, http.MethodGet, "/wsfed?"+q.Encode(), nil)
	if err != nil {
		return "", "", &signInError{step: "wsignin", err: err}
	}
	if p.status != http.StatusSeeOther && p.status != http.StatusFound {
		return "", "", answerErr("wsignin", p, "status %d, want a redirect", p.status)
	}
	p, err = b.do(c, http.MethodGet, p.location, nil)
	if err != nil {
		return "", "", &signInError{step: "login page", err: err}
	}
	return form("login page", p)
}

// sessionCookie is the name of claimgate's session cookie, set in the
// generated configuration (server.session.cookie_name).
const sessionCookie = "loadgen_session"

// signIn runs one complete sign-in in u's browser and returns the wresult
// it got. The session cookie of u's last sign-in is dropped first, as a
// browser drops it when closed (it has no expiry): a kept session would
// make this single sign-on, not a sign-in. Every other cookie is kept.
func (b *browser) signIn(u *vuser, password, code string) ([]byte, error) {
	wres, err := b.signInSteps(u, password, code)
	var se *signInError
	if errors.As(err, &se) && se.busy {
		se.familiar = u.signedIn
	}
	return wres, err
}

func (b *browser) signInSteps(u *vuser, password, code string) ([]byte, error) {
	if u.jar == nil {
		u.jar, _ = cookiejar.New(nil)
	}
	base, _ := url.Parse(b.base)
	u.jar.SetCookies(base, []*http.Cookie{{Name: sessionCookie, Path: "/", MaxAge: -1}})
	c := b.client(u.jar, u.tr)
	action, csrf, err := b.start(c)
	if err != nil {
		return nil, err
	}
	p, err := b.do(c, http.MethodPost, action, url.Values{"csrf": {csrf}, "username": {u.name}, "password": {password}})
	if err != nil {
		return nil, &signInError{step: "password", err: err}
	}
	if p.status != http.StatusSeeOther {
		return nil, answerErr("password", p, "status %d, want 303 to the code page", p.status)
	}
	p, err = b.do(c, http.MethodGet, p.location, nil)
	if err != nil {
		return nil, &signInError{step: "code page", err: err}
	}
	action, csrf, err = form("code page", p)
	if err != nil {
		return nil, err
	}
	p, err = b.do(c, http.MethodPost, action, url.Values{"csrf": {csrf}, "code": {code}})
	if err != nil {
		return nil, &signInError{step: "code", err: err}
	}
	if p.status != http.StatusOK {
		return nil, answerErr("code", p, "status %d", p.status)
	}
	if wres, ok := hiddenField(p.body, "wresult"); ok {
		u.signedIn = true
		return []byte(wres), nil
	}
	return nil, answerErr("code", p, "no wresult in the answer (wrong code?)")
}

// verify checks a wresult as the relying party would: signature by the
// deployment's certificate and the audience.
func (b *browser) verify(wresult []byte) error {
	_, err := wsfed.VerifyResult(wresult, saml11.VerifyOptions{TrustedCerts: []*x509.Certificate{b.cert}, Audience: realm})
	if err != nil {
		return &signInError{step: "token", err: err}
	}
	return nil
}

// tryPassword is one attacker attempt: the wsignin GET, the password
// page and a wrong password, with no cookies (an attacker keeps none). It
// succeeds when the server answered with the password page again (wrong
// password or refused: the same page).
func (b *browser) tryPassword(user, password string) error {
	c := b.client(nil, nil)
	action, csrf, err := b.start(c)
	if err != nil {
		return err
	}
	p, err := b.do(c, http.MethodPost, action, url.Values{"csrf": {csrf}, "username": {user}, "password": {password}})
	if err != nil {
		return &signInError{step: "spray", err: err}
	}
	if p.status == http.StatusSeeOther {
		return &signInError{step: kindAccepted, err: errors.New("a wrong password was accepted")}
	}
	if p.busy() {
		return &signInError{step: kindShed, err: errors.New("busy, try again"), gist: p.gist()}
	}
	return nil
}

// floodWctx is a sign-in request flood's wctx: at its 8 KiB limit, so
// each request that starts a session stores the largest row it can.
var floodWctx = strings.Repeat("f", 8<<10)

// startFlood is one request of a sign-in request flood: a wsignin1.0 GET
// that is never followed, with no cookies. It succeeds when the server
// started a sign-in (the redirect to the password page, a session
// stored); the busy page is shed.
func (b *browser) startFlood() error {
	c := b.client(nil, nil)
	q := url.Values{"wa": {"wsignin1.0"}, "wtrealm": {realm}, "wctx": {floodWctx}}
	p, err := b.do(c, http.MethodGet, "/wsfed?"+q.Encode(), nil)
	if err != nil {
		return &signInError{step: "flood", err: err}
	}
	if p.busy() {
		return &signInError{step: kindShed, err: errors.New("busy, try again"), gist: p.gist()}
	}
	if p.status != http.StatusSeeOther {
		return answerErr("flood", p, "status %d, want a redirect", p.status)
	}
	return nil
}

// Outcomes of an attacker's attempt besides "the password page again".
const (
	kindAccepted = "wrong password accepted" // a functional failure
	kindShed     = "shed (busy)"             // refused without work, by design
)

// The kinds of the server's "busy" answer: to a user's first sign-in in
// the run (an address the server has not seen it sign in from: shedding
// that load is the design, reported, not a failure), and to a user who
// signed in before from the same address and browser (a failure).
const (
	kindBusy         = "busy (first sign-in)"
	kindBusyFamiliar = "busy (familiar user)"
)

// errKind is the step a sign-in failed at and the status it got, for the
// error counts ("code 503", "password 200", "wsignin" for no answer at
// all); the server's deliberate "busy" answer is its own kind.
func errKind(err error) string {
	var se *signInError
	if !errors.As(err, &se) {
		return "other"
	}
	if se.busy && se.familiar {
		return kindBusyFamiliar
	}
	if se.busy {
		return kindBusy
	}
	if se.status != 0 {
		return fmt.Sprintf("%s %d", se.step, se.status)
	}
	return se.step
}
