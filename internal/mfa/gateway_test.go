package mfa

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// smsGateway is a real HTTP server standing in for a provider: it records
// what it received and answers with the configured status.
type smsGateway struct {
	mu     sync.Mutex
	status int
	got    []received
}

type received struct {
	method, path, contentType, token string
	body                             []byte
}

func (g *smsGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	g.got = append(g.got, received{r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"), r.Header.Get("Authorization"), body})
	status := g.status
	g.mu.Unlock()
	if status == 0 {
		status = http.StatusAccepted
	}
	w.WriteHeader(status)
	io.WriteString(w, `{"error":"provider detail with 424242 echoed"}`)
}

func TestGatewaySendJSON(t *testing.T) {
	rec := &smsGateway{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	g := &Gateway{
		URL:          srv.URL + "/v1/messages?account=acme",
		Headers:      map[string]string{"Authorization": "Bearer tok-SECRET", "Content-Type": "application/json"},
		BodyTemplate: `{"to":{{json .Phone}},"text":{{json .Message}},"code":{{json .Code}}}`,
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	msg := "Your code is 424242.\n\"Quoted\" & <b>"
	if err := g.SendCode(context.Background(), "+1 555 0100", "424242", msg); err != nil {
		t.Fatal(err)
	}
	r := rec.got[0]
	if r.method != "POST" || r.path != "/v1/messages?account=acme" || r.token != "Bearer tok-SECRET" || r.contentType != "application/json" {
		t.Errorf("request = %+v", r)
	}
	var body struct{ To, Text, Code string }
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, r.body)
	}
	if body.To != "+1 555 0100" || body.Text != msg || body.Code != "424242" {
		t.Errorf("body = %+v", body)
	}
}

func TestGatewaySendForm(t *testing.T) {
	rec := &smsGateway{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	g := &Gateway{
		URL:          srv.URL + "/send",
		Method:       "post",
		Headers:      map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
		BodyTemplate: `to={{form .Phone}}&text={{urlquery .Message}}`,
		Timeout:      5 * time.Second,
	}
	msg := "code 123456 & more=yes+no"
	if err := g.Send(context.Background(), "+15550100", msg); err != nil {
		t.Fatal(err)
	}
	v, err := url.ParseQuery(string(rec.got[0].body))
	if err != nil || v.Get("to") != "+15550100" || v.Get("text") != msg || len(v) != 2 {
		t.Errorf("form = %v, %v (%s)", v, err, rec.got[0].body)
	}
}

func TestGatewayErrorsCarryNoSecrets(t *testing.T) {
	rec := &smsGateway{status: http.StatusInternalServerError}
	srv := httptest.NewServer(rec)
	g := &Gateway{
		URL:          srv.URL + "/send?apikey=KEY-SECRET",
		Headers:      map[string]string{"X-Api-Token": "tok-SECRET"},
		BodyTemplate: `{"to":{{json .Phone}},"text":{{json .Message}}}`,
	}
	err := g.SendCode(context.Background(), "+15550100", "424242", "Your code is 424242")
	if err == nil {
		t.Fatal("500 not reported")
	}
	if se, ok := err.(*GatewayStatusError); !ok || se.StatusCode != 500 {
		t.Errorf("err = %#v", err)
	}
	leaks := []string{"424242", "SECRET", "+15550100", "Your code", "provider detail"}
	check := func(err error) {
		t.Helper()
		for _, s := range leaks {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error %q contains %q", err, s)
			}
		}
	}
	check(err)
	// A gateway that is down: the client error would name the URL with its key.
	srv.Close()
	err = g.SendCode(context.Background(), "+15550100", "424242", "Your code is 424242")
	if err == nil {
		t.Fatal("unreachable gateway not reported")
	}
	check(err)
	// A template that fails at execution must not quote the data.
	g.BodyTemplate = `{{index .Message 99}}`
	if err := g.SendCode(context.Background(), "+15550100", "424242", "Your code is 424242"); err == nil {
		t.Fatal("template error not reported")
	} else {
		check(err)
	}
}

func TestGatewayTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	g := &Gateway{URL: srv.URL, BodyTemplate: "x", Timeout: 50 * time.Millisecond}
	err := g.Send(context.Background(), "+1", "m")
	if err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("err = %v, want a deadline error", err)
	}
}

func TestGatewayValidate(t *testing.T) {
	for _, g := range []Gateway{
		{URL: "ftp://x/y", BodyTemplate: "x"},
		{URL: "/relative", BodyTemplate: "x"},
		{URL: "https://gw.example/?key=KEY-SECRET", Method: "DELETE"},
		{URL: "https://gw.example/", BodyTemplate: "{{json .Code"},
		{URL: "https://gw.example/", Headers: map[string]string{"Bad Name": "v"}},
	} {
		err := g.Validate()
		if err == nil {
			t.Errorf("%+v accepted", g)
		} else if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("error leaks the URL: %v", err)
		}
	}
}

// TestGatewayURLAndHeaderTemplates: a GET gateway that takes the number
// and code in its query string, and the token in a header, receives them
// filled in and escaped as the template says.
func TestGatewayURLAndHeaderTemplates(t *testing.T) {
	rec := &smsGateway{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	g := &Gateway{
		Method:  "GET",
		URL:     srv.URL + "/send?to={{form .Phone}}&text={{form .Message}}",
		Headers: map[string]string{"Authorization": "Bearer {{.Token}}"},
		Token:   "tok-SECRET",
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := g.SendCode(context.Background(), "+15550100", "424242", "code 424242 & more"); err != nil {
		t.Fatal(err)
	}
	r := rec.got[0]
	q, err := url.ParseQuery(strings.TrimPrefix(r.path, "/send?"))
	if err != nil || q.Get("to") != "+15550100" || q.Get("text") != "code 424242 & more" {
		t.Fatalf("query %q decodes to %v (%v)", r.path, q, err)
	}
	if r.token != "Bearer tok-SECRET" || r.method != "GET" || len(r.body) != 0 {
		t.Fatalf("request = %+v", r)
	}
	bad := &Gateway{URL: srv.URL + "/?x={{.Nope}}"}
	if err := bad.Validate(); err == nil {
		t.Fatal("a template naming an unknown field was accepted")
	}
	header := &Gateway{URL: srv.URL, Headers: map[string]string{"X-Code": "{{.Message}}"}}
	if err := header.SendCode(context.Background(), "+1", "1", "line\r\nInjected: yes"); err == nil {
		t.Fatal("a header value with a line break was sent")
	}
}
