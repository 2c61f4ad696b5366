package server

import (
	"context"
	"net/http"
	"net/netip"
)

// ReadyPath is the readiness probe: 200 while claimgate can sign users in
// (directory, store and signing key usable), 503 otherwise, so a load
// balancer takes the instance out. /healthz stays the liveness probe.
const ReadyPath = "/readyz"

// readyHandler answers ReadyPath from ready (nil: always ready). As on
// /healthz, only a client on this host sees the reasons (they name
// domain controllers and files); others learn ready or not.
func readyHandler(ready func(context.Context) (bool, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ok, detail := true, ""
		if ready != nil {
			ok, detail = ready(r.Context())
		}
		body := map[bool]string{true: "ready", false: "not ready"}[ok]
		if a, err := netip.ParseAddr(ClientAddr(r)); err == nil && a.IsLoopback() && detail != "" {
			body += "\n" + detail
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_, _ = w.Write([]byte(body + "\n"))
	}
}
