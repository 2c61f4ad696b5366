package server_test

import (
	"net/http"
	"testing"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/sts/wsfed"
)

// TestSigningOutPageCSP: the "signing out" page's frame origins become
// frame-src for its own 200 answer only: exactly the valid origins given
// (a value with a path, a quote or a wildcard is dropped), no form-action
// (as on the token page), never framable itself; every other response,
// and the same page answered with an error, stays strict. A response
// marked FramingSelf may be framed by our own pages only.
func TestSigningOutPageCSP(t *testing.T) {
	p := newParts(t, wsfed.PartyList{{Identifier: realm, ReplyURL: replyURL}})
	o := p.options()
	mark := func(w http.ResponseWriter) {
		for _, v := range []string{"https://sp2.example.test", "http://127.0.0.1:8443", "https://sp2.example.test",
			"https://evil.example.test/path", "https://x.example.test 'unsafe-inline'", "*", "javascript://x"} {
			w.Header().Add(login.HeaderFrameSources, v)
		}
	}
	o.Mounts = map[string]http.Handler{
		"/signingout": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { mark(w); _, _ = w.Write([]byte("ok")) }),
		"/fails":      http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { mark(w); w.WriteHeader(http.StatusBadRequest) }),
		"/ack": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set(login.HeaderAllowFraming, login.FramingSelf)
			_, _ = w.Write([]byte("ok"))
		}),
	}
	srv := serve(t, o)
	strict := csp(" "+replyURL, "'none'")

	res, _ := fetch(t, srv, "GET", "/signingout")
	got := directives(t, res.Header.Get("Content-Security-Policy"))
	want := directives(t, strict)
	delete(want, "form-action")
	want["frame-src"] = "'self' https://sp2.example.test http://127.0.0.1:8443"
	if len(got) != len(want) {
		t.Errorf("signing-out CSP %q, want the directives %v", res.Header.Get("Content-Security-Policy"), want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("signing-out CSP: %s = %q, want %q", k, got[k], v)
		}
	}
	if res.Header.Get("X-Frame-Options") != "DENY" || res.Header.Get(login.HeaderFrameSources) != "" {
		t.Errorf("X-Frame-Options %q, marker %q", res.Header.Get("X-Frame-Options"), res.Header.Get(login.HeaderFrameSources))
	}

	res, _ = fetch(t, srv, "GET", "/fails")
	wantHeaders(t, res, false, strict)
	if res.Header.Get(login.HeaderFrameSources) != "" {
		t.Error("marker reached the client")
	}

	res, _ = fetch(t, srv, "GET", "/ack")
	if res.Header.Get("Content-Security-Policy") != csp(" "+replyURL, "'self'") || res.Header.Get("X-Frame-Options") != "SAMEORIGIN" ||
		res.Header.Get(login.HeaderAllowFraming) != "" {
		t.Errorf("self-framed: CSP %q, X-Frame-Options %q", res.Header.Get("Content-Security-Policy"), res.Header.Get("X-Frame-Options"))
	}
}
