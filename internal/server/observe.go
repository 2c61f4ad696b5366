package server

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
)

// observe reports every request to fn once it has been answered, with the
// route pattern chi matched ("/static/{name}", "" when nothing matched),
// never the raw path: the caller labels metrics with it, and a label set
// must stay finite whatever clients send.
func observe(fn func(route, method string, status int, d time.Duration), now func() time.Time) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := now()
			sw := &statusWriter{ResponseWriter: w}
			next.ServeHTTP(sw, r)
			status := sw.status
			if status == 0 {
				status = http.StatusOK // securityHeaders sent it
			}
			fn(chi.RouteContext(r.Context()).RoutePattern(), r.Method, status, now().Sub(start))
		})
	}
}
