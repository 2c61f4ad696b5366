package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/claimgate/claimgate/sts/adfsmeta"
	"github.com/claimgate/claimgate/sts/saml11"
	"github.com/claimgate/claimgate/sts/wsfed"
)

// Helpers of the reload tests (serve_reload_e2e_test.go): a reloadable
// in-process `claimgate serve`, its JSON log, an SMS gateway that can hold
// a message (so that a request is provably in flight), and a sign-in
// through the login pages with a plain HTTP client that reports errors
// instead of failing the test, for use from many goroutines.

// startReloadable runs `claimgate serve` with hup as its reload trigger
// (nil: the real SIGHUP) and returns once base+/healthz answers through
// client.
func startReloadable(t *testing.T, fx *fixture, hup chan os.Signal, client *http.Client, base string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{fx: fx, stderr: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	e := &env{ctx: ctx, stdin: strings.NewReader(""), stdout: &syncBuffer{}, stderr: s.stderr, getenv: fx.getenv}
	if hup != nil {
		e.reload = hup
	}
	go func() { s.done <- run(e, []string{"serve", "--config", fx.cfgPath}) }()
	t.Cleanup(func() { s.stop(t) })
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case code := <-s.done:
			s.done <- code
			t.Fatalf("serve exited early with %d:\n%s", code, s.stderr.String())
		default:
		}
		resp, err := client.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer /healthz within 20 s: %v\n%s", err, s.stderr.String())
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// logRecord is one JSON line of the service log.
type logRecord map[string]any

func (r logRecord) msg() string         { s, _ := r["msg"].(string); return s }
func (r logRecord) str(k string) string { s, _ := r[k].(string); return s }

// records parses the service log so far.
func (s *server) records() []logRecord {
	var out []logRecord
	for _, l := range strings.Split(s.stderr.String(), "\n") {
		var r logRecord
		if json.Unmarshal([]byte(l), &r) == nil {
			out = append(out, r)
		}
	}
	return out
}

// waitRecord waits for a record at index from or later whose message
// starts with one of prefixes, and returns its index.
func (s *server) waitRecord(t *testing.T, from int, prefixes ...string) int {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		recs := s.records()
		for i := from; i < len(recs); i++ {
			for _, p := range prefixes {
				if strings.HasPrefix(recs[i].msg(), p) {
					return i
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log record %q after record %d:\n%s", prefixes, from, s.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const (
	msgReloaded = "configuration reloaded"
	msgRefused  = "reload refused: "
	msgDrained  = "previous configuration closed"
)

// reload sends one trigger and waits for its outcome: the records it
// logged (from the trigger to the outcome) and whether it succeeded.
func (s *server) reload(t *testing.T, hup chan os.Signal) ([]logRecord, bool) {
	t.Helper()
	from := len(s.records())
	hup <- syscall.SIGHUP
	i := s.waitRecord(t, from, msgReloaded, msgRefused)
	recs := s.records()
	return recs[from : i+1], recs[i].msg() == msgReloaded
}

// requestRecord is the index of the access-log record of a request, by
// its X-Request-Id; -1 if there is none.
func (s *server) requestRecord(id string) int {
	for i, r := range s.records() {
		if r.msg() == "http" && r.str("request_id") == id {
			return i
		}
	}
	return -1
}

// holdGateway is an SMS provider's HTTP API that keeps the code sent to
// each phone, and for a phone put on hold answers only once released.
type holdGateway struct {
	srv     *httptest.Server
	arrived chan string // a held phone's message has come in

	mu    sync.Mutex
	codes map[string][]string
	hold  map[string]chan struct{}
}

func newHoldGateway(t *testing.T) *holdGateway {
	g := &holdGateway{arrived: make(chan string, 4), codes: map[string][]string{}, hold: map[string]chan struct{}{}}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ To, Text string }
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &body); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		m := smsCode.FindStringSubmatch(body.Text)
		if m == nil {
			http.Error(w, "no code", http.StatusBadRequest)
			return
		}
		g.mu.Lock()
		g.codes[body.To] = append(g.codes[body.To], m[1])
		release := g.hold[body.To]
		g.mu.Unlock()
		if release != nil {
			g.arrived <- body.To
			<-release
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(func() {
		g.mu.Lock()
		for phone, ch := range g.hold {
			close(ch)
			delete(g.hold, phone)
		}
		g.mu.Unlock()
		g.srv.Close()
	})
	return g
}

// holdPhone makes messages to phone wait; the function returned lets them
// (and later ones) through.
func (g *holdGateway) holdPhone(phone string) func() {
	ch := make(chan struct{})
	g.mu.Lock()
	g.hold[phone] = ch
	g.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			if g.hold[phone] == ch {
				delete(g.hold, phone)
				close(ch)
			}
			g.mu.Unlock()
		})
	}
}

func (g *holdGateway) lastCode(phone string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := g.codes[phone]
	if len(c) == 0 {
		return ""
	}
	return c[len(c)-1]
}

// smsConfig is the sms section for gw, with limits no test reaches and a
// timeout longer than any hold.
func smsConfig(gw *holdGateway) string {
	return `sms:
  enabled: true
  gateway:
    url: ` + gw.srv.URL + `/v1/messages
    headers: {Content-Type: application/json}
    body_template: '{"to": "{{.Phone}}", "text": "Your sign-in code is {{.Code}}"}'
    timeout: 50s
  rate_limit: {max: 100000, window: 1h}
`
}

// browser is one user agent of a sign-in: its own cookies.
type browser struct {
	c     *http.Client
	last  string   // body of the last page
	path  string   // its path
	trail []string // "METHOD /path X-Request-Id" of each page, in order
}

func newBrowser(tr http.RoundTripper) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{c: &http.Client{Jar: jar, Transport: tr}}
}

// get loads the page at u, following redirects.
func (b *browser) get(what, u string) error {
	resp, err := b.c.Get(u)
	return b.read(what, resp, err)
}

func (b *browser) read(what string, resp *http.Response, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s: reading the page: %w", what, err)
	}
	b.last, b.path = string(body), resp.Request.URL.Path
	b.trail = append(b.trail, resp.Request.Method+" "+b.path+" "+resp.Header.Get("X-Request-Id"))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: status %d at %s", what, resp.StatusCode, b.path)
	}
	return nil
}

func (b *browser) postForm(what, u string, form url.Values) error {
	if m := csrfField.FindStringSubmatch(b.last); m != nil {
		form.Set("csrf", m[1])
	} else {
		return fmt.Errorf("%s: no CSRF token on %s", what, b.path)
	}
	resp, err := b.c.PostForm(u, form)
	return b.read(what, resp, err)
}

// smsSignIn signs user in through the login pages with the code the
// gateway received, posts the token to the relying party (which must
// accept it) and returns the wresult.
func smsSignIn(fx *fixture, gw *holdGateway, user e2eUser) (string, error) {
	b := newBrowser(nil)
	if err := b.get("begin", fx.rp.beginURL()); err != nil {
		return "", err
	}
	if b.path != "/login" {
		return "", fmt.Errorf("begin ended at %s", b.path)
	}
	return b.finishSMS(fx, gw, user)
}

// finishSMS goes on from the password page.
func (b *browser) finishSMS(fx *fixture, gw *holdGateway, user e2eUser) (string, error) {
	if err := b.postForm("password", fx.base+"/login", url.Values{"username": {user.Name}, "password": {user.Password}}); err != nil {
		return "", err
	}
	if b.path != "/login/code" {
		return "", fmt.Errorf("after the password: %s", b.path)
	}
	code := gw.lastCode(user.Mobile)
	if code == "" {
		return "", errors.New("no SMS code sent")
	}
	if err := b.postForm("code", fx.base+"/login/code", url.Values{"code": {code}}); err != nil {
		return "", err
	}
	return b.autoPost()
}

// autoPost posts the token page's form, as its script does, and returns
// the wresult once the relying party accepted it.
func (b *browser) autoPost() (string, error) {
	m := formAction.FindStringSubmatch(b.last)
	if m == nil {
		return "", fmt.Errorf("no token form on %s", b.path)
	}
	form := url.Values{}
	for _, f := range hiddenField.FindAllStringSubmatch(b.last, -1) {
		form.Set(html.UnescapeString(f[1]), html.UnescapeString(f[2]))
	}
	resp, err := b.c.PostForm(html.UnescapeString(m[1]), form)
	if err := b.read("post the token", resp, err); err != nil {
		return "", fmt.Errorf("%w: %s", err, b.last)
	}
	return form.Get("wresult"), nil
}

// signerOf verifies a wresult against the candidates and returns the
// certificate that signed it.
func signerOf(wresult string, candidates ...*x509.Certificate) (*x509.Certificate, error) {
	tok, err := wsfed.VerifyResult([]byte(wresult), saml11.VerifyOptions{TrustedCerts: candidates, Audience: rpRealm})
	if err != nil {
		return nil, err
	}
	return tok.SigningCert, nil
}

// fetchMetadata gets claimgate's metadata through client and reads it as
// AD FS does (signature checked against the candidates).
func fetchMetadata(client *http.Client, base string, candidates ...*x509.Certificate) ([]byte, *adfsmeta.Metadata, error) {
	resp, err := client.Get(base + "/FederationMetadata/2007-06/FederationMetadata.xml")
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	doc, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("metadata: status %d", resp.StatusCode)
	}
	md, err := adfsmeta.Parse(doc, adfsmeta.Options{TrustedCerts: candidates})
	if err != nil {
		return nil, nil, err
	}
	return doc, md, nil
}

// insecureTLS is a client for the tests' self-signed server certificates;
// the test compares the certificate it got instead.
func insecureTLS() *http.Transport {
	return &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} // #nosec: the test checks the peer certificate itself
}
