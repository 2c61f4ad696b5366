package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/metrics"
	"github.com/claimgate/claimgate/internal/metrics/metricstest"
	"github.com/claimgate/claimgate/internal/testutil"
)

// scrapeApp reads m as Prometheus would.
func scrapeApp(t *testing.T, m *metrics.Metrics) metricstest.Families {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	return metricstest.Scrape(t, srv.Client(), srv.URL+metrics.Path)
}

func get(t *testing.T, a *App, path string) int {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.RemoteAddr = "127.0.0.1:40000"
	a.Handler.ServeHTTP(rec, req)
	return rec.Code
}

// TestMetricsFollowTheApp: an App built with Options.Metrics times its
// HTTP requests by route and its store operations, publishes its
// certificates while it is open and withdraws them when closed, and a
// second App on the same Metrics (a reload) keeps counting where the
// first stopped.
func TestMetricsFollowTheApp(t *testing.T) {
	m := metrics.New()
	kp, err := certs.Generate(certs.GenerateOptions{CommonName: "metrics test", ValidFor: 90 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	users := "directory:\n  users_file: {path: users.yaml}\n"
	a := buildReady(t, readyConfig(t, users, kp), Options{Metrics: m})
	const h = "claimgate_http_request_duration_seconds"
	if c := get(t, a, "/readyz"); c != http.StatusOK {
		t.Fatalf("/readyz %d", c)
	}
	get(t, a, "/static/no-such-file")
	get(t, a, "/wsfed?wa=wsignin1.0&wtrealm="+url.QueryEscape("http://adfs.example.test/adfs/services/trust")+"&wctx=x")
	get(t, a, "/this/path/is/not/routed")
	f := scrapeApp(t, m)
	for _, c := range []struct {
		labels []string
		want   uint64
	}{
		{[]string{"route", "/readyz", "method", "GET", "status", "2xx"}, 1},
		{[]string{"route", "/static/{name}", "method", "GET", "status", "4xx"}, 1},
		{[]string{"route", "/wsfed", "method", "GET", "status", "3xx"}, 1},
		{[]string{"route", "unmatched", "method", "GET", "status", "4xx"}, 1},
	} {
		if n := f.Count(t, h, c.labels...); n != c.want {
			t.Errorf("%v: %d, want %d", c.labels, n, c.want)
		}
	}
	if routes := f.LabelValues(h, "route"); strings.Contains(strings.Join(routes, " "), "no-such-file") || strings.Contains(strings.Join(routes, " "), "not/routed") {
		t.Errorf("a raw path became a route label: %v", routes)
	}
	// /readyz reads a session; /wsfed created one.
	const st = "claimgate_store_operation_duration_seconds"
	if f.Count(t, st, "operation", "get_session") < 1 || f.Count(t, st, "operation", "create_session") != 1 {
		t.Errorf("store operations not timed: %v", f.LabelValues(st, "operation"))
	}
	const expiry = "claimgate_signing_certificate_expiry_timestamp_seconds"
	tp := certs.ThumbprintSHA1(kp.Certificate)
	if v := f.Value(t, expiry, "thumbprint", tp, "role", "signing"); v != float64(kp.Certificate.NotAfter.Unix()) {
		t.Errorf("expiry %v, want %d (NotAfter %s)", v, kp.Certificate.NotAfter.Unix(), kp.Certificate.NotAfter)
	}
	if n := len(f[expiry].GetMetric()); n != 1 {
		t.Errorf("%d certificate series, want 1", n)
	}
	if f["claimgate_directory_up"] != nil {
		t.Error("directory_up with a users file")
	}

	// A reload: the next generation on the same Metrics.
	b := buildReady(t, readyConfig(t, users, nil), Options{Metrics: m})
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	get(t, b, "/readyz")
	f = scrapeApp(t, m)
	if n := f.Count(t, h, "route", "/readyz", "method", "GET", "status", "2xx"); n != 2 {
		t.Errorf("/readyz count across the reload %d, want 2", n)
	}
	if f.Has(t, expiry, "thumbprint", tp, "role", "signing") {
		t.Error("the closed App's certificate is still reported")
	}
	if want := certs.ThumbprintSHA1(b.Keys.Signing.Certificate); !f.Has(t, expiry, "thumbprint", want, "role", "signing") {
		t.Error("the new App's certificate is not reported")
	}
	b.Close()
	if f = scrapeApp(t, m); f[expiry] != nil {
		t.Error("certificates reported after every App closed")
	}
}

// TestMetricsOffLeavesTheAppAlone: without Options.Metrics the store is
// the driver's own, undecorated.
func TestMetricsOffLeavesTheAppAlone(t *testing.T) {
	a := buildReady(t, readyConfig(t, "directory:\n  users_file: {path: users.yaml}\n", nil), Options{})
	if got := fmt.Sprintf("%T", a.Store); got != "*sqlitestore.DB" {
		t.Fatalf("store is a %s without metrics, want the driver's own *sqlitestore.DB", got)
	}
}

// TestMetricsFromTheDirectory: against the real Samba AD DC, with a
// closed port listed first, the readiness probe reports the directory up,
// requests to the DC are timed per server and operation, and the dead
// server's failed connects are counted as its errors.
func TestMetricsFromTheDirectory(t *testing.T) {
	env := testutil.SambaEnv(t, "CLAIMGATE_TEST_LDAP_URL", "CLAIMGATE_TEST_LDAP_CA_FILE", "CLAIMGATE_TEST_LDAP_BIND_DN",
		"CLAIMGATE_TEST_LDAP_BIND_PASSWORD", "CLAIMGATE_TEST_LDAP_BASE_DN", "CLAIMGATE_TEST_LDAP_NETBIOS", "CLAIMGATE_TEST_LDAP_USER_PASSWORD")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "ldaps://" + l.Addr().String()
	l.Close() // nothing listens there now
	real := env["CLAIMGATE_TEST_LDAP_URL"]
	t.Setenv("METRICS_TEST_BIND_PASSWORD", env["CLAIMGATE_TEST_LDAP_BIND_PASSWORD"])
	cfg := readyConfig(t, `directory:
  ldap:
    urls: [`+dead+`, `+real+`]
    ca_file: `+env["CLAIMGATE_TEST_LDAP_CA_FILE"]+`
    bind_dn: "`+env["CLAIMGATE_TEST_LDAP_BIND_DN"]+`"
    bind_password: {env: METRICS_TEST_BIND_PASSWORD}
    base_dn: "`+env["CLAIMGATE_TEST_LDAP_BASE_DN"]+`"
    netbios_domain: `+env["CLAIMGATE_TEST_LDAP_NETBIOS"]+`
    timeouts: {connect: 2s}
`, nil)
	m := metrics.New()
	a := buildReady(t, cfg, Options{Metrics: m, ReadyInterval: 100 * time.Millisecond})
	waitReady(t, a, http.StatusOK, "DC up")
	// Ready means a probe finished; the next scrape reports it.
	f := scrapeApp(t, m)
	if !f.Has(t, "claimgate_directory_up") || f.Value(t, "claimgate_directory_up") != 1 {
		t.Fatalf("directory_up: %v", f["claimgate_directory_up"])
	}
	const h, e = "claimgate_directory_request_duration_seconds", "claimgate_directory_errors_total"
	if f.Count(t, h, "server", real, "op", "connect") < 1 || f.Count(t, h, "server", real, "op", "search") < 1 {
		t.Errorf("requests to %s not timed: %v", real, f[h])
	}
	if f.Value(t, e, "server", dead, "op", "connect") < 1 {
		t.Errorf("failed connects to %s not counted: %v", dead, f[e])
	}
	if f.Has(t, e, "server", real, "op", "search") || f.Has(t, e, "server", real, "op", "connect") {
		t.Errorf("errors counted for the working DC: %v", f[e])
	}
	// A wrong password is an answer, not a directory error.
	if _, err := a.LDAP.Authenticate(context.Background(), "alice", "wrong-"+env["CLAIMGATE_TEST_LDAP_USER_PASSWORD"]); err == nil {
		t.Fatal("wrong password accepted")
	}
	f = scrapeApp(t, m)
	if f.Count(t, h, "server", real, "op", "bind") != 1 || f.Has(t, e, "server", real, "op", "bind") {
		t.Errorf("wrong-password bind: %d timed, errors %v", f.Count(t, h, "server", real, "op", "bind"), f[e])
	}
}
