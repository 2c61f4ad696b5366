package metrics_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/metrics"
	"github.com/claimgate/claimgate/internal/metrics/metricstest"
	"github.com/claimgate/claimgate/ldapsource"
)

// The observer fits ldapsource's hook.
var _ ldapsource.Observer = (*metrics.DirectoryObserver)(nil)

// scrape serves m's handler and parses /metrics with the text parser.
func scrape(t *testing.T, m *metrics.Metrics) metricstest.Families {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	return metricstest.Scrape(t, srv.Client(), srv.URL+metrics.Path)
}

// TestHandlerServesOnlyMetrics: /metrics answers in the text format with
// the runtime and process collectors and headers fit for plain text; every
// other path is 404 and other methods 405.
func TestHandlerServesOnlyMetrics(t *testing.T) {
	m := metrics.New()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	f := metricstest.Scrape(t, srv.Client(), srv.URL+"/metrics")
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_start_time_seconds", "go_build_info",
		"promhttp_metric_handler_requests_total"} {
		if f[name] == nil {
			t.Errorf("no %s in the scrape", name)
		}
	}
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for k, want := range map[string]string{
		"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", "X-Frame-Options": "DENY",
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'", "Referrer-Policy": "no-referrer",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/", 404}, {"GET", "/metrics/", 404}, {"GET", "/metricsx", 404}, {"GET", "/debug/pprof/", 404},
		{"HEAD", "/metrics", 200}, {"POST", "/metrics", 405}, {"DELETE", "/metrics", 405},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: no nosniff", tc.method, tc.path)
		}
	}
}

// TestRegistriesAreSeparate: two Metrics share nothing, so two in one
// process (tests, or a demo next to a server) never collide.
func TestRegistriesAreSeparate(t *testing.T) {
	a, b := metrics.New(), metrics.New()
	a.ObserveHTTP("/login", "GET", 200, time.Millisecond)
	if n := scrape(t, a).Count(t, "claimgate_http_request_duration_seconds", "route", "/login", "method", "GET", "status", "2xx"); n != 1 {
		t.Errorf("a: %d observations, want 1", n)
	}
	if n := scrape(t, b).Count(t, "claimgate_http_request_duration_seconds", "route", "/login", "method", "GET", "status", "2xx"); n != 0 {
		t.Errorf("b sees a's observation: %d", n)
	}
}

// recorder is an audit.Appender that keeps what it gets.
type recorder struct {
	recs []audit.Record
	err  error
}

func (r *recorder) AppendAudit(_ context.Context, rec audit.Record) error {
	r.recs = append(r.recs, rec)
	return r.err
}

// TestAuditCountsSignIns drives a real audit.Logger whose store is the
// counting Appender and checks each counter, that the records still reach
// the store, and that values from outside the known sets become "other".
func TestAuditCountsSignIns(t *testing.T) {
	m := metrics.New()
	next := &recorder{}
	const realm = "http://adfs.example/adfs/services/trust"
	party := func(r string) string {
		if r == realm {
			return "adfs"
		}
		return metrics.Other
	}
	log := audit.New(audit.Options{Store: m.Audit(next, party), UnknownUserKey: make([]byte, 32)})
	ctx := context.Background()
	recs := []audit.Record{
		{Event: audit.EventFirstFactorFailed, Outcome: audit.OutcomeFailure, User: "alice", Reason: "bad_password", RelyingParty: realm},
		{Event: audit.EventFirstFactorFailed, Outcome: audit.OutcomeFailure, User: "mallory", Reason: "unknown_user", RelyingParty: realm},
		{Event: audit.EventFirstFactorFailed, Outcome: audit.OutcomeDenied, User: "alice", Reason: "locked_out", RelyingParty: realm},
		{Event: audit.EventFirstFactorOK, Outcome: audit.OutcomeSuccess, User: "alice", Factor: "password", RelyingParty: realm},
		{Event: audit.EventFirstFactorOK, Outcome: audit.OutcomeSuccess, User: "bob", Factor: "app_password", RelyingParty: realm},
		{Event: audit.EventSecondFactorFailed, Outcome: audit.OutcomeFailure, User: "alice", Factor: "totp", Reason: "bad_code", RelyingParty: realm},
		{Event: audit.EventSecondFactorFailed, Outcome: audit.OutcomeFailure, User: "carol", Reason: "no_factor_enrolled", RelyingParty: realm},
		{Event: audit.EventSecondFactorOK, Outcome: audit.OutcomeSuccess, User: "alice", Factor: "totp", RelyingParty: realm},
		{Event: audit.EventTokenIssued, Outcome: audit.OutcomeSuccess, User: "alice", Factor: "password+totp", RelyingParty: realm},
		{Event: audit.EventTokenIssued, Outcome: audit.OutcomeSuccess, User: "bob", Factor: "app_password", RelyingParty: "urn:removed"},
		{Event: audit.EventLockout, Outcome: audit.OutcomeInfo, User: "alice", Reason: "pair"},
		{Event: audit.EventLockout, Outcome: audit.OutcomeInfo, User: "alice", Reason: "user"},
		// Values nobody planned for: counted, but under "other".
		{Event: "invented_event", Outcome: "weird", User: "x"},
		{Event: audit.EventFirstFactorFailed, Outcome: audit.OutcomeFailure, User: "eve", Reason: "a reason with\nuser input"},
		{Event: audit.EventSecondFactorOK, Outcome: audit.OutcomeSuccess, User: "eve", Factor: "carrier-pigeon"},
		{Event: audit.EventTokenIssued, Outcome: audit.OutcomeSuccess, User: "eve", Factor: "password+smoke signal"},
		{Event: audit.EventLockout, Outcome: audit.OutcomeInfo, User: "eve", Reason: "planet"},
	}
	for _, r := range recs {
		if err := log.Log(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if len(next.recs) != len(recs) {
		t.Fatalf("the store got %d records, want %d", len(next.recs), len(recs))
	}
	f := scrape(t, m)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"claimgate_signins_total", []string{"factor", "password", "outcome", "failure"}, 3},
		{"claimgate_signins_total", []string{"factor", "password", "outcome", "denied"}, 1},
		{"claimgate_signins_total", []string{"factor", "password", "outcome", "success"}, 1},
		{"claimgate_signins_total", []string{"factor", "app_password", "outcome", "success"}, 1},
		{"claimgate_signins_total", []string{"factor", "totp", "outcome", "failure"}, 1},
		{"claimgate_signins_total", []string{"factor", "totp", "outcome", "success"}, 1},
		{"claimgate_signins_total", []string{"factor", "none", "outcome", "failure"}, 1},
		{"claimgate_signins_total", []string{"factor", "other", "outcome", "success"}, 1},
		{"claimgate_signin_failures_total", []string{"factor", "password", "reason", "bad_password"}, 1},
		{"claimgate_signin_failures_total", []string{"factor", "password", "reason", "unknown_user"}, 1},
		{"claimgate_signin_failures_total", []string{"factor", "password", "reason", "locked_out"}, 1},
		{"claimgate_signin_failures_total", []string{"factor", "password", "reason", "other"}, 1},
		{"claimgate_signin_failures_total", []string{"factor", "totp", "reason", "bad_code"}, 1},
		{"claimgate_signin_failures_total", []string{"factor", "none", "reason", "no_factor_enrolled"}, 1},
		{"claimgate_tokens_issued_total", []string{"relying_party", "adfs", "factors", "password+totp"}, 1},
		{"claimgate_tokens_issued_total", []string{"relying_party", "other", "factors", "app_password"}, 1},
		{"claimgate_tokens_issued_total", []string{"relying_party", "other", "factors", "password+other"}, 1},
		{"claimgate_lockouts_total", []string{"scope", "pair"}, 1},
		{"claimgate_lockouts_total", []string{"scope", "user"}, 1},
		{"claimgate_lockouts_total", []string{"scope", "other"}, 1},
		{"claimgate_audit_events_total", []string{"event", "first_factor_failed", "outcome", "failure"}, 3},
		{"claimgate_audit_events_total", []string{"event", "token_issued", "outcome", "success"}, 3},
		{"claimgate_audit_events_total", []string{"event", "other", "outcome", "other"}, 1},
	} {
		if got := f.Value(t, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// Nothing a client typed became a label value.
	for name, fam := range f {
		if !strings.HasPrefix(name, "claimgate_") {
			continue
		}
		for _, s := range fam.GetMetric() {
			for _, lp := range s.GetLabel() {
				for _, bad := range []string{"alice", "mallory", "eve", "\n", "pigeon", "smoke", "planet", "invented", "weird", "urn:removed"} {
					if strings.Contains(lp.GetValue(), bad) {
						t.Errorf("%s has label %s=%q", name, lp.GetName(), lp.GetValue())
					}
				}
			}
		}
	}
}

// TestAuditCountsWhenTheStoreFails: a record the store could not keep was
// still written as a JSON line and happened; it is counted, and the error
// reaches the caller unchanged.
func TestAuditCountsWhenTheStoreFails(t *testing.T) {
	m := metrics.New()
	boom := errors.New("disk full")
	app := m.Audit(&recorder{err: boom}, nil)
	err := app.AppendAudit(context.Background(), audit.Record{Event: audit.EventSecondFactorOK, Outcome: audit.OutcomeSuccess, Factor: "hotp"})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want the store's", err)
	}
	// Count only, with no store behind it (audit.store: false).
	if err := m.Audit(nil, nil).AppendAudit(context.Background(), audit.Record{Event: audit.EventSecondFactorOK, Outcome: audit.OutcomeSuccess, Factor: "hotp"}); err != nil {
		t.Fatal(err)
	}
	if got := scrape(t, m).Value(t, "claimgate_signins_total", "factor", "hotp", "outcome", "success"); got != 2 {
		t.Errorf("hotp successes %v, want 2", got)
	}
}

// TestHTTPLabelsAreBounded: unmatched routes, invented methods and
// impossible statuses each collapse into one label value.
func TestHTTPLabelsAreBounded(t *testing.T) {
	m := metrics.New()
	m.ObserveHTTP("/static/{name}", "GET", 200, 3*time.Millisecond)
	m.ObserveHTTP("/static/{name}", "GET", 404, time.Millisecond)
	m.ObserveHTTP("", "GET", 404, time.Millisecond)
	m.ObserveHTTP("", "BREW", 405, time.Millisecond)
	m.ObserveHTTP("", "PROPFIND", 405, time.Millisecond)
	m.ObserveHTTP("/login", "POST", 0, time.Millisecond)
	m.ObserveHTTP("/login", "POST", 503, 2*time.Second)
	f := scrape(t, m)
	const h = "claimgate_http_request_duration_seconds"
	for _, c := range []struct {
		labels []string
		want   uint64
	}{
		{[]string{"route", "/static/{name}", "method", "GET", "status", "2xx"}, 1},
		{[]string{"route", "/static/{name}", "method", "GET", "status", "4xx"}, 1},
		{[]string{"route", "unmatched", "method", "GET", "status", "4xx"}, 1},
		{[]string{"route", "unmatched", "method", "other", "status", "4xx"}, 2},
		{[]string{"route", "/login", "method", "POST", "status", "other"}, 1},
		{[]string{"route", "/login", "method", "POST", "status", "5xx"}, 1},
	} {
		if got := f.Count(t, h, c.labels...); got != c.want {
			t.Errorf("%v: %d observations, want %d", c.labels, got, c.want)
		}
	}
	fam := f[h]
	if len(fam.GetMetric()) != 6 {
		t.Errorf("%d series, want 6", len(fam.GetMetric()))
	}
	// The 2 s request landed above the 1 s bucket: the histogram is in seconds.
	for _, s := range fam.GetMetric() {
		if s.GetHistogram().GetSampleSum() >= 2 {
			for _, b := range s.GetHistogram().GetBucket() {
				if b.GetUpperBound() == 1 && b.GetCumulativeCount() != 0 {
					t.Errorf("2 s request counted in the 1 s bucket")
				}
			}
		}
	}
}

// TestNewSessionRefusals: each budget's series exists at 0 from the
// start (an alert's increase() sees the first refusal), a refusal counts
// under its budget, and an unknown budget name is Other.
func TestNewSessionRefusals(t *testing.T) {
	m := metrics.New()
	const c = "claimgate_new_sessions_refused_total"
	f := scrape(t, m)
	for _, b := range []string{"client", "instance", "proven"} {
		if !f.Has(t, c, "budget", b) || f.Value(t, c, "budget", b) != 0 {
			t.Errorf("%s{budget=%s} is not there at 0 before any refusal", c, b)
		}
	}
	m.NewSessionRefused("instance")
	m.NewSessionRefused("instance")
	m.NewSessionRefused("192.0.2.1")
	f = scrape(t, m)
	for b, want := range map[string]float64{"client": 0, "instance": 2, "proven": 0, "other": 1} {
		if v := f.Value(t, c, "budget", b); v != want {
			t.Errorf("%s{budget=%s} = %v, want %v", c, b, v, want)
		}
	}
	var off *metrics.Metrics
	off.NewSessionRefused("client") // metrics off: nothing, no panic
}

// TestDirectoryObserver: latency per server and operation, errors only
// where the server did not serve.
func TestDirectoryObserver(t *testing.T) {
	m := metrics.New()
	o := m.Directory()
	const dc1, dc2 = "ldaps://dc1.example.test", "ldaps://dc2.example.test:636"
	o.ObserveRequest(dc1, ldapsource.OpConnect, time.Second, errors.New("connect: refused"))
	o.ObserveRequest(dc2, ldapsource.OpConnect, 2*time.Millisecond, nil)
	o.ObserveRequest(dc2, ldapsource.OpSearch, time.Millisecond, nil)
	o.ObserveRequest(dc2, ldapsource.OpBind, time.Millisecond, nil)
	o.ObserveRequest(dc2, ldapsource.OpSearch, 10*time.Second, errors.New("ldap operation abandoned"))
	f := scrape(t, m)
	const h, e = "claimgate_directory_request_duration_seconds", "claimgate_directory_errors_total"
	if n := f.Count(t, h, "server", dc1, "op", "connect"); n != 1 {
		t.Errorf("dc1 connects: %d", n)
	}
	if n := f.Count(t, h, "server", dc2, "op", "search"); n != 2 {
		t.Errorf("dc2 searches: %d", n)
	}
	if v := f.Value(t, e, "server", dc1, "op", "connect"); v != 1 {
		t.Errorf("dc1 connect errors: %v", v)
	}
	if v := f.Value(t, e, "server", dc2, "op", "search"); v != 1 {
		t.Errorf("dc2 search errors: %v", v)
	}
	if f.Has(t, e, "server", dc2, "op", "bind") || f.Has(t, e, "server", dc2, "op", "connect") {
		t.Error("an answered request was counted as an error")
	}
}

// TestPublishReportsTheNewestState: the per-configuration gauges come
// from the newest publication still in force, and vanish with it.
func TestPublishReportsTheNewestState(t *testing.T) {
	m := metrics.New()
	const expiry = "claimgate_signing_certificate_expiry_timestamp_seconds"
	old := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	next := time.Date(2029, 3, 1, 12, 0, 0, 500_000_000, time.UTC)
	refreshed := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	if f := scrape(t, m); f[expiry] != nil || f["claimgate_directory_up"] != nil {
		t.Fatal("per-configuration metrics before anything was published")
	}
	withdrawOld := m.Publish(func() metrics.State {
		return metrics.State{
			Certificates: []metrics.Certificate{
				{Thumbprint: "AAAA", Role: metrics.RoleSigning, NotAfter: old},
				{Thumbprint: "AAAA", Role: metrics.RolePublished, NotAfter: old}, // also published: one series
			},
			RelyingParties: []metrics.RelyingPartyMetadata{
				{Name: "office", Usable: true, LastSuccess: refreshed},
				{Name: "lync", Usable: false}, // never fetched
			},
			Directory: metrics.DirectoryState{Probed: true, Up: false},
		}
	})
	f := scrape(t, m)
	if v := f.Value(t, expiry, "thumbprint", "AAAA", "role", "signing"); v != float64(old.Unix()) {
		t.Errorf("expiry %v, want %d", v, old.Unix())
	}
	if n := len(f[expiry].GetMetric()); n != 1 {
		t.Errorf("%d expiry series, want 1", n)
	}
	const last, usable = "claimgate_rp_metadata_last_success_timestamp_seconds", "claimgate_rp_metadata_usable"
	if v := f.Value(t, last, "relying_party", "office"); v != float64(refreshed.Unix()) {
		t.Errorf("office last success %v", v)
	}
	if f.Has(t, last, "relying_party", "lync") {
		t.Error("a source that never succeeded has a last-success time")
	}
	if f.Value(t, usable, "relying_party", "office") != 1 || !f.Has(t, usable, "relying_party", "lync") || f.Value(t, usable, "relying_party", "lync") != 0 {
		t.Error("usable: want office 1, lync 0")
	}
	if !f.Has(t, "claimgate_directory_up") || f.Value(t, "claimgate_directory_up") != 0 {
		t.Error("directory_up: want 0")
	}

	// A reload: the new configuration is published before the old one goes.
	withdrawNew := m.Publish(func() metrics.State {
		return metrics.State{Certificates: []metrics.Certificate{
			{Thumbprint: "BBBB", Role: metrics.RoleSigning, NotAfter: next},
			{Thumbprint: "AAAA", Role: metrics.RolePublished, NotAfter: old},
		}}
	})
	f = scrape(t, m)
	if v := f.Value(t, expiry, "thumbprint", "BBBB", "role", "signing"); v != float64(next.Unix())+0.5 {
		t.Errorf("new signing expiry %v, want %d.5", v, next.Unix())
	}
	if !f.Has(t, expiry, "thumbprint", "AAAA", "role", "published") || f.Has(t, expiry, "thumbprint", "AAAA", "role", "signing") {
		t.Error("the old certificate should be listed as published only")
	}
	if f[last] != nil || f["claimgate_directory_up"] != nil {
		t.Error("series of the replaced configuration are still reported")
	}
	// A reload that failed after its App was built withdraws it: the old
	// configuration is reported again.
	withdrawNew()
	if f = scrape(t, m); !f.Has(t, expiry, "thumbprint", "AAAA", "role", "signing") || f.Has(t, expiry, "thumbprint", "BBBB", "role", "signing") {
		t.Error("after withdrawing the newest, the previous state is not reported")
	}
	withdrawOld()
	withdrawOld() // twice is harmless
	if f = scrape(t, m); f[expiry] != nil {
		t.Error("per-configuration metrics after everything was withdrawn")
	}
}

// TestNilMetricsIsOff: metrics switched off cost a nil check and nothing
// else; every method is safe on nil.
func TestNilMetricsIsOff(t *testing.T) {
	var m *metrics.Metrics
	next := &recorder{}
	if got := m.Audit(next, nil); got != next {
		t.Error("nil Audit does not return its input")
	}
	if m.Store(nil) != nil {
		t.Error("nil Store(nil) is not nil")
	}
	if m.Directory() != nil {
		t.Error("nil Directory is not nil")
	}
	m.ObserveHTTP("/", "GET", 200, time.Millisecond)
	m.Publish(func() metrics.State { t.Fatal("state read on a nil Metrics"); return metrics.State{} })()
}

func auditRecord() audit.Record {
	return audit.Record{Time: time.Now(), Event: audit.EventSignOut, Outcome: audit.OutcomeInfo, User: "alice"}
}
