package metrics

import "time"

// ObserveHTTP records one request on the main listener: route is the chi
// route pattern ("" when no route matched), method the request's (a
// method outside the standard ones is Other), status the code sent. It
// fits server.Options.Observe. It does nothing on a nil Metrics.
func (m *Metrics) ObserveHTTP(route, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.httpDur.WithLabelValues(routeLabel(route), oneOf(method, knownMethods), statusClass(status)).Observe(d.Seconds())
}

// NewSessionRefused counts one sign-in request the new-session budget
// refused (login.StartBudgetOptions.OnRefused): budget is "client",
// "instance" or "proven", anything else Other. It does nothing on a nil
// Metrics.
func (m *Metrics) NewSessionRefused(budget string) {
	if m == nil {
		return
	}
	m.refused.WithLabelValues(oneOf(budget, knownBudgets)).Inc()
}
