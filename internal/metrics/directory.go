package metrics

import "time"

// DirectoryObserver counts requests to domain controllers; it fits
// ldapsource.Observer (pinned where the two meet, in internal/app).
type DirectoryObserver struct{ m *Metrics }

// Directory returns the observer to give ldapsource, nil on a nil Metrics.
func (m *Metrics) Directory() *DirectoryObserver {
	if m == nil {
		return nil
	}
	return &DirectoryObserver{m: m}
}

// knownOps are ldapsource's operations.
var knownOps = set("connect", "search", "bind")

// ObserveRequest records one request: its duration, and an error when err
// is set. server is a configured LDAP URL, so the label set is the
// configuration's.
func (o *DirectoryObserver) ObserveRequest(server, op string, d time.Duration, err error) {
	if o == nil {
		return
	}
	op = oneOf(op, knownOps)
	o.m.dirDuration.WithLabelValues(server, op).Observe(d.Seconds())
	if err != nil {
		o.m.dirErrors.WithLabelValues(server, op).Inc()
	}
}
