package server_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/claimgate/claimgate/internal/server"
	"github.com/claimgate/claimgate/sts/wsfed"
)

// TestReadyz: /readyz answers 200 or 503 as Ready says, with the reasons
// only for a client on this host (as /healthz), never cached, for GET and
// HEAD alike; /healthz stays 200 meanwhile (liveness). Before, there was
// no readiness at all: /healthz was 200 while nobody could sign in.
func TestReadyz(t *testing.T) {
	p := newParts(t, wsfed.PartyList{{Identifier: realm, ReplyURL: replyURL}})
	var ready atomic.Bool
	o := p.options()
	o.Ready = func(context.Context) (bool, string) {
		if ready.Load() {
			return true, "directory: ok"
		}
		return false, "directory: no domain controller answers\nstore: ok"
	}
	local := serve(t, o)
	o.ClientAddr = func(*http.Request) string { return "198.51.100.9" }
	remote := serve(t, o)

	res, body := fetch(t, local, http.MethodGet, server.ReadyPath)
	if res.StatusCode != http.StatusServiceUnavailable || body != "not ready\ndirectory: no domain controller answers\nstore: ok\n" {
		t.Errorf("unready, local: %d %q", res.StatusCode, body)
	}
	if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("headers %v", res.Header)
	}
	if res, body := fetch(t, remote, http.MethodGet, server.ReadyPath); res.StatusCode != http.StatusServiceUnavailable || body != "not ready\n" {
		t.Errorf("unready, remote: %d %q", res.StatusCode, body)
	}
	if res, body := fetch(t, remote, http.MethodHead, server.ReadyPath); res.StatusCode != http.StatusServiceUnavailable || body != "" {
		t.Errorf("HEAD: %d %q", res.StatusCode, body)
	}
	if res, _ := fetch(t, local, http.MethodGet, "/healthz"); res.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %d while unready; liveness must not follow readiness", res.StatusCode)
	}
	ready.Store(true)
	if res, body := fetch(t, local, http.MethodGet, server.ReadyPath); res.StatusCode != http.StatusOK || !strings.HasPrefix(body, "ready\n") {
		t.Errorf("ready: %d %q", res.StatusCode, body)
	}
	if res, body := fetch(t, remote, http.MethodGet, server.ReadyPath); res.StatusCode != http.StatusOK || body != "ready\n" {
		t.Errorf("ready, remote: %d %q", res.StatusCode, body)
	}
	if res, _ := fetch(t, local, http.MethodPost, server.ReadyPath); res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
	// Without a Ready function (tests, the demo) the service is ready.
	if res, body := fetch(t, serve(t, p.options()), http.MethodGet, server.ReadyPath); res.StatusCode != http.StatusOK || body != "ready\n" {
		t.Errorf("no Ready: %d %q", res.StatusCode, body)
	}
}
