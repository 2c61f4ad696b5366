// Package metricstest reads a Prometheus text exposition the way a
// Prometheus server does, with the client library's own text parser
// (expfmt), for tests that scrape /metrics and compare values before and
// after something happened. Test code only.
package metricstest
