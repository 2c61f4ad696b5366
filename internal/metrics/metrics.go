package metrics

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Path is the only path the metrics listener serves.
const Path = "/metrics"

// namespace prefixes every claimgate metric.
const namespace = "claimgate"

// Bucket boundaries, in seconds. LDAP and the store answer in a
// millisecond on a healthy network, so the low end is finer than the
// client library's defaults; the top matches the longest configured
// timeouts.
var (
	fastBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}
	httpBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}
)

// Metrics is claimgate's registry and its collectors. Make one per process
// with New; it is safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	signins     *prometheus.CounterVec
	failures    *prometheus.CounterVec
	tokens      *prometheus.CounterVec
	lockouts    *prometheus.CounterVec
	events      *prometheus.CounterVec
	dirDuration *prometheus.HistogramVec
	dirErrors   *prometheus.CounterVec
	stDuration  *prometheus.HistogramVec
	stErrors    *prometheus.CounterVec
	httpDur     *prometheus.HistogramVec
	refused     *prometheus.CounterVec

	mu        sync.Mutex
	published []*publication // live States, oldest first
}

// New makes the registry with every collector, the Go runtime's and the
// process's included.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
	}
	histogram := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: name, Help: help, Buckets: buckets}, labels)
	}
	m.signins = counter("signins_total",
		"Credential checks of the sign-in flow, one per factor: a password (or app password), then a one-time code.",
		"factor", "outcome")
	m.failures = counter("signin_failures_total",
		"Sign-in steps that failed or were refused, by factor and reason (bad_password, unknown_user, bad_code, locked_out, ...).",
		"factor", "reason")
	m.tokens = counter("tokens_issued_total",
		"Tokens issued, by relying party (its configured name) and the factors the user passed.",
		"relying_party", "factors")
	m.lockouts = counter("lockouts_total",
		"Locks imposed after repeated failures, by scope: pair (one user from one address), addr (one address, every user), user (one user, from unfamiliar addresses).",
		"scope")
	m.events = counter("audit_events_total", "Audit records written, by event and outcome.", "event", "outcome")
	m.dirDuration = histogram("directory_request_duration_seconds",
		"Requests to a domain controller (connect, search, bind), answered or not.", fastBuckets, "server", "op")
	m.dirErrors = counter("directory_errors_total",
		"Requests a domain controller did not serve: connection, TLS or service bind failed, timeout, dropped connection.",
		"server", "op")
	m.stDuration = histogram("store_operation_duration_seconds", "Store operations, successful or not.", fastBuckets, "operation")
	m.stErrors = counter("store_errors_total",
		"Store operations that failed (not counting not-found, duplicate and lost compare-and-set, which are answers).",
		"operation")
	m.httpDur = histogram("http_request_duration_seconds",
		"HTTP requests on the main listener, by route pattern, method and status class.", httpBuckets,
		"route", "method", "status")
	m.refused = counter("new_sessions_refused_total",
		"Sign-in requests answered busy (503) because the new-session budget was spent, by budget: client (server.session.new_sessions_per_client_mib), instance (new_sessions_mib, clients no sign-in finished from lately), proven (the same size again, for the clients that did).",
		"budget")
	// Every budget's series from the start, at 0: increase() over a series
	// that first appears at 40 is 0, and the first refusals after a start
	// are the ones the alert is for.
	for b := range knownBudgets {
		m.refused.WithLabelValues(b)
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
		m.signins, m.failures, m.tokens, m.lockouts, m.events,
		m.dirDuration, m.dirErrors, m.stDuration, m.stErrors, m.httpDur, m.refused,
		stateCollector{m},
	)
	return m
}

// Handler serves the registry in the Prometheus text format at Path and
// answers 404 everywhere else. The body is plain text that a browser must
// neither sniff into HTML nor frame, and nothing of it may be cached.
func (m *Metrics) Handler() http.Handler {
	// promhttp_metric_handler_requests_total and _in_flight, and _errors_total.
	prom := promhttp.InstrumentMetricHandler(m.reg, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		Registry: m.reg,
		// A scrape is cheap; more than a few at once is a misbehaving client.
		MaxRequestsInFlight: 4,
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		switch {
		case r.URL.Path != Path:
			http.Error(w, "not found", http.StatusNotFound)
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		default:
			prom.ServeHTTP(w, r)
		}
	})
}
