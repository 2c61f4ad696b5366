package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/metrics/metricstest"
	"github.com/claimgate/claimgate/internal/testutil"
)

// TestServeMetrics runs `claimgate serve` with metrics.listen on a port of
// its own, signs in over HTTP (a wrong password, then the right one and a
// TOTP code, with a token reaching the relying party), and scrapes
// /metrics before and after with the Prometheus text parser: every
// counter moved by exactly what happened, the HTTP histogram counted each
// request under its route, the certificate expiry is the signing
// certificate's NotAfter, and the main listener does not serve /metrics.
// Stopping the service closes the metrics listener too.
func TestServeMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("runs claimgate serve; run without -short (make test)")
	}
	alice := e2eUser{Name: "alice", Password: newPassword(t), TOTP: newSeed(t)}
	fx := newFixture(t, alice)
	maddr := testutil.FreeAddr(t)
	fx.writeConfig(t, serveConfig{extra: "metrics:\n  listen: " + maddr + "\n"})
	srv := startServe(t, fx)
	murl := "http://" + maddr + "/metrics"
	before := metricstest.Scrape(t, nil, murl)

	x := newXFFClient(t, fx, "127.0.0.1") // not a trusted proxy: the header is ignored
	x.begin()
	x.post("/login", url.Values{"username": {"alice"}, "password": {"wrong-" + alice.Password}})
	if x.path != "/login" || !strings.Contains(x.last, "incorrect") {
		t.Fatalf("wrong password: at %s:\n%s", x.path, x.last)
	}
	x.post("/login", url.Values{"username": {"alice"}, "password": {alice.Password}})
	if x.path != "/login/code" {
		t.Fatalf("right password: at %s:\n%s", x.path, x.last)
	}
	tokens := fx.rp.count()
	x.post("/login/code", url.Values{"code": {testutil.TOTP(t, alice.TOTP)}})
	x.submitAutoPost()
	if fx.rp.count() != tokens+1 {
		t.Fatalf("no token reached the relying party; last page %s:\n%s", x.path, x.last)
	}
	fx.rp.last(t) // and it verified

	// The token page reaches the browser before its request is counted
	// (the middleware observes once the handler has returned): scrape
	// until it is.
	const h = "claimgate_http_request_duration_seconds"
	token := []string{"route", "/login/code", "method", "POST", "status", "2xx"}
	var after metricstest.Families
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		after = metricstest.Scrape(t, nil, murl)
		if after.Count(t, h, token...) > before.Count(t, h, token...) || time.Now().After(deadline) {
			break
		}
	}
	delta := func(name string, labels ...string) float64 {
		return after.Value(t, name, labels...) - before.Value(t, name, labels...)
	}
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"claimgate_signins_total", []string{"factor", "password", "outcome", "failure"}, 1},
		{"claimgate_signins_total", []string{"factor", "password", "outcome", "success"}, 1},
		{"claimgate_signins_total", []string{"factor", "totp", "outcome", "success"}, 1},
		{"claimgate_signins_total", []string{"factor", "totp", "outcome", "failure"}, 0},
		{"claimgate_signin_failures_total", []string{"factor", "password", "reason", "bad_password"}, 1},
		{"claimgate_tokens_issued_total", []string{"relying_party", "e2e relying party", "factors", "password+totp"}, 1},
		{"claimgate_audit_events_total", []string{"event", "token_issued", "outcome", "success"}, 1},
		{"claimgate_lockouts_total", []string{"scope", "pair"}, 0},
	} {
		if got := delta(c.name, c.labels...); got != c.want {
			t.Errorf("%s%v moved by %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	for _, c := range []struct {
		route, method, status string
		want                  uint64
	}{
		{"/wsfed", "GET", "3xx", 1},
		{"/login", "GET", "2xx", 1},
		{"/login", "POST", "2xx", 1}, // the wrong password's page
		{"/login", "POST", "3xx", 1}, // on to the code
		{"/login/code", "GET", "2xx", 1},
		{"/login/code", "POST", "2xx", 1}, // the token page
	} {
		labels := []string{"route", c.route, "method", c.method, "status", c.status}
		if got := after.Count(t, h, labels...) - before.Count(t, h, labels...); got != c.want {
			t.Errorf("%s %s %s: %d requests counted, want %d", c.method, c.route, c.status, got, c.want)
		}
	}
	const st = "claimgate_store_operation_duration_seconds"
	if after.Count(t, st, "operation", "rotate_session") < before.Count(t, st, "operation", "rotate_session")+2 {
		t.Errorf("store operations not timed: %v", after.LabelValues(st, "operation"))
	}
	const expiry = "claimgate_signing_certificate_expiry_timestamp_seconds"
	if v := after.Value(t, expiry, "thumbprint", certs.ThumbprintSHA1(fx.cert), "role", "signing"); v != float64(fx.cert.NotAfter.Unix()) {
		t.Errorf("certificate expiry %v, want %d (%s)", v, fx.cert.NotAfter.Unix(), fx.cert.NotAfter)
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if after[name] == nil {
			t.Errorf("no %s", name)
		}
	}
	// No label value is something a client sent.
	text := metricsBody(t, murl)
	for _, leak := range []string{"alice", alice.Password, "127.0.0.1", "wctx"} {
		if strings.Contains(text, leak) {
			t.Errorf("/metrics contains %q", leak)
		}
	}

	// The sign-in listener does not serve metrics, and the metrics one
	// serves nothing else.
	resp, err := http.Get(fx.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || strings.Contains(string(b), "claimgate_") {
		t.Errorf("main listener /metrics: %d", resp.StatusCode)
	}
	for _, p := range []string{"/", "/healthz", "/login"} {
		resp, err := http.Get("http://" + maddr + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("metrics listener %s: %d, want 404", p, resp.StatusCode)
		}
	}

	srv.stop(t)
	c := &http.Client{Timeout: 5 * time.Second}
	if resp, err := c.Get(murl); err == nil {
		resp.Body.Close()
		t.Errorf("metrics listener still answers after the service stopped: %d", resp.StatusCode)
	}
}

// metricsBody fetches url and returns the body, failing on anything but 200.
func metricsBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}
