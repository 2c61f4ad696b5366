package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/testutil"
)

// smsMessage is one request the stand-in gateway received.
type smsMessage struct {
	To, Text, Auth, ContentType, Method, Path string
	Code                                      string // the digits found in Text
}

// smsGateway stands in for an SMS provider's HTTP API: it keeps every
// message and answers 202 like a provider that queued it.
type smsGateway struct {
	srv  *httptest.Server
	mu   sync.Mutex
	msgs []smsMessage
}

var smsCode = regexp.MustCompile(`\b([0-9]{4,10})\b`)

func newSMSGateway(t *testing.T) *smsGateway {
	g := &smsGateway{}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body struct{ To, Text string }
		if err := json.Unmarshal(b, &body); err != nil {
			t.Errorf("gateway: body is not the configured JSON: %v: %s", err, b)
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		m := smsMessage{To: body.To, Text: body.Text, Auth: r.Header.Get("Authorization"),
			ContentType: r.Header.Get("Content-Type"), Method: r.Method, Path: r.URL.Path}
		if c := smsCode.FindStringSubmatch(body.Text); c != nil {
			m.Code = c[1]
		}
		g.mu.Lock()
		g.msgs = append(g.msgs, m)
		g.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *smsGateway) messages() []smsMessage {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.msgs)
}

// TestServeSMSSignIn: codes sent through a configured HTTP gateway (a local
// server standing in for the provider) to the users file's mobile number
// sign users in; with SMS as the only method the code page comes at once,
// with several methods the chooser comes first. The code and the API token
// never reach the audit log or the service log.
func TestServeSMSSignIn(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; run without -short (make test)")
	}
	erin := e2eUser{Name: "erin", Password: newPassword(t), Mobile: "+15550100042"}
	frank := e2eUser{Name: "frank", Password: newPassword(t), Mobile: "+15550100043", TOTP: newSeed(t)}
	fx := newFixture(t, erin, frank)
	gw := newSMSGateway(t)
	apiToken := "sms-api-" + newPassword(t)
	fx.env["E2E_SMS_TOKEN"] = apiToken
	fx.writeConfig(t, serveConfig{extra: `sms:
  enabled: true
  gateway:
    url: ` + gw.srv.URL + `/v1/messages
    headers: {Authorization: "Bearer {{.Token}}", Content-Type: application/json}
    body_template: '{"to": "{{.Phone}}", "text": "Your sign-in code is {{.Code}}"}'
    token: {env: E2E_SMS_TOKEN}
`})
	srv := startServe(t, fx)
	browser := testutil.Browser(t)
	var codes []string

	t.Run("only SMS: straight to the code page", func(t *testing.T) {
		s := newSession(t, browser)
		s.begin(fx.rp)
		if st := s.password("erin", erin.Password); st != 200 || s.heading() != titleCode {
			s.fail("after the password: status %d, page %q", st, s.heading())
		}
		if info := s.text(".info"); !strings.Contains(info, "sent a code") {
			t.Errorf("code page info %q", info)
		}
		msgs := gw.messages()
		if len(msgs) != 1 {
			t.Fatalf("gateway got %d messages, want 1: %+v", len(msgs), msgs)
		}
		m := msgs[0]
		if m.To != erin.Mobile || m.Method != "POST" || m.Path != "/v1/messages" || m.Auth != "Bearer "+apiToken ||
			m.ContentType != "application/json" || len(m.Code) != 6 {
			t.Fatalf("gateway request %+v", m)
		}
		codes = append(codes, m.Code)
		bad := "000000"
		if m.Code == bad {
			bad = "111111"
		}
		s.code(bad)
		s.expectError(msgBadCode)
		before := fx.rp.count()
		s.code(m.Code)
		if got := claim(s.tokenArrives(fx.rp, before), claims.UPN); !slices.Equal(got, []string{"erin@e2e.example"}) {
			t.Errorf("upn = %v", got)
		}
	})

	t.Run("several methods: the chooser first", func(t *testing.T) {
		s := newSession(t, browser)
		s.begin(fx.rp)
		if st := s.password("frank", frank.Password); st != 200 || s.heading() != titleChoose {
			s.fail("after the password: status %d, page %q", st, s.heading())
		}
		if n := len(gw.messages()); n != 1 {
			t.Fatalf("an SMS was sent before frank chose SMS (%d messages)", n)
		}
		choices, err := chromedp.Run(s.ctx, chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll('button.choice')).map(b => b.textContent.trim())`))
		if err != nil || len(choices) != 2 {
			s.fail("choices %v: %v", choices, err)
		}
		sms := slices.IndexFunc(choices, func(c string) bool { return strings.Contains(c, "text message") })
		if sms < 0 || !strings.HasSuffix(choices[sms], "43") || strings.Contains(choices[sms], frank.Mobile) {
			s.fail("choices %q: want a text message to a masked number", choices)
		}
		if st := s.load("choose SMS", chromedp.Click(chromedp.CSS("button.choice:nth-of-type("+strconv.Itoa(sms+1)+")"))); st != 200 || s.heading() != titleCode {
			s.fail("after choosing SMS: status %d, page %q", st, s.heading())
		}
		if !s.has(`a[href="/login/method"]`) {
			t.Error("code page offers no way back to the other method")
		}
		msgs := gw.messages()
		if len(msgs) != 2 || msgs[1].To != frank.Mobile {
			t.Fatalf("gateway messages %+v, want a second one to %s", msgs, frank.Mobile)
		}
		codes = append(codes, msgs[1].Code)
		before := fx.rp.count()
		s.code(msgs[1].Code)
		if got := claim(s.tokenArrives(fx.rp, before), claims.UPN); !slices.Equal(got, []string{"frank@e2e.example"}) {
			t.Errorf("upn = %v", got)
		}
	})

	t.Run("codes and API token never logged", func(t *testing.T) {
		srv.stop(t) // flush: everything the service wrote is in
		recs := readAudit(t, fx)
		if r := findAudit(recs, "second_factor_ok", "erin"); r == nil || r.Factor != "sms" {
			t.Errorf("second_factor_ok for erin = %+v, want factor sms", r)
		}
		secrets := append([]string{apiToken, erin.Password, frank.Password, frank.TOTP}, codes...)
		assertAbsent(t, "audit log", auditText(recs), secrets...)
		assertAbsent(t, "service log", srv.stderr.String(), secrets...)
		if !strings.Contains(srv.stderr.String(), "SMS code sent") {
			t.Error("service log does not record that an SMS was sent")
		}
	})
}
