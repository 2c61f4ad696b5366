package server_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/server"
	"github.com/claimgate/claimgate/sts/wsfed"
)

func csp(forms, frames string) string {
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'" + forms +
		"; frame-ancestors " + frames + "; base-uri 'none'"
}

// TestPanicIs500Page: a handler that panics gives the generic 500 page
// with every security header (and no-store, whatever the handler had set);
// the value and stack go to the log only.
func TestPanicIs500Page(t *testing.T) {
	p := newParts(t, wsfed.PartyList{{Identifier: realm, ReplyURL: replyURL}})
	o := p.options()
	o.Mounts = map[string]http.Handler{"/boom": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("Content-Type", "application/json")
		panic(fmt.Errorf("sql: database is locked (store.go:42)"))
	})}
	srv := serve(t, o)
	res, body := fetch(t, srv, "GET", "/boom")
	if res.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q on the 500 page", cc)
	}
	if !strings.Contains(body, p.pages.T("error.internal")) {
		t.Errorf("not the generic page:\n%s", body)
	}
	checkNoInternals(t, body)
	wantHeaders(t, res, false, csp(" "+replyURL, "'none'"))
	log := p.log.String()
	if !strings.Contains(log, "database is locked") || !strings.Contains(log, "goroutine") {
		t.Errorf("the panic value and stack should be logged:\n%s", log)
	}

	// http.ErrAbortHandler keeps its meaning: the connection is dropped,
	// nothing is logged as a panic.
	o.Mounts = map[string]http.Handler{"/abort": http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })}
	srv = serve(t, o)
	if res, err := http.Get(srv.URL + "/abort"); err == nil {
		res.Body.Close()
		t.Errorf("ErrAbortHandler answered %d instead of dropping the connection", res.StatusCode)
	}
}

// wantHeaders checks the headers every response carries.
func wantHeaders(t testing.TB, res *http.Response, https bool, wantCSP string) {
	t.Helper()
	h := res.Header
	if got := h.Get("Content-Security-Policy"); got != wantCSP {
		t.Errorf("%s: CSP\n got %s\nwant %s", res.Request.URL.Path, got, wantCSP)
	}
	want := map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}
	if https {
		want["Strict-Transport-Security"] = "max-age=31536000"
	} else {
		want["Strict-Transport-Security"] = ""
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s: %s %q, want %q", res.Request.URL.Path, k, got, v)
		}
	}
	if h.Get("X-Request-Id") == "" {
		t.Errorf("%s: no X-Request-Id", res.Request.URL.Path)
	}
}

// TestHeadersOnEveryRoute: the security headers are on every kind of
// response, with and without HTTPS, including a handler that writes
// nothing at all; pages are not cached, static assets are.
func TestHeadersOnEveryRoute(t *testing.T) {
	p := newParts(t, wsfed.PartyList{{Identifier: realm, ReplyURL: replyURL}})
	for _, https := range []bool{false, true} {
		o := p.options()
		o.HTTPS = https
		o.Mounts = map[string]http.Handler{"/silent": http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})}
		srv := serve(t, o)
		for _, c := range []struct {
			method, path string
			status       int
			cache        string
		}{
			{"GET", "/healthz", 200, "no-store"},
			{"GET", "/static/style.css", 200, "public, max-age=3600"},
			{"GET", "/static/autopost.js", 200, "public, max-age=3600"},
			{"GET", "/static/brand.css", 200, "public, max-age=3600"},
			{"GET", "/static/logo", 404, "no-store"},
			{"GET", "/static/missing.css", 404, "no-store"},
			{"GET", server.MetadataPath, 200, "public, max-age=3600"},
			{"GET", "/", 302, "no-store"},
			{"GET", "/nope", 404, "no-store"},
			{"PUT", login.PathWSFed, 405, "no-store"},
			{"GET", login.PathWSFed, 400, "no-store"},
			{"GET", login.PathLogin, 400, "no-store"},
			{"GET", "/silent", 200, "no-store"},
		} {
			res, body := fetch(t, srv, c.method, c.path)
			if res.StatusCode != c.status {
				t.Errorf("https=%v %s %s: status %d, want %d", https, c.method, c.path, res.StatusCode, c.status)
			}
			wantHeaders(t, res, https, csp(" "+replyURL, "'none'"))
			if got := res.Header.Get("Cache-Control"); got != c.cache {
				t.Errorf("%s: Cache-Control %q, want %q", c.path, got, c.cache)
			}
			if res.StatusCode >= 400 {
				if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
					t.Errorf("%s: error answer is %q, not a page", c.path, res.Header.Get("Content-Type"))
				}
				checkNoInternals(t, body)
			}
		}
	}
}

// TestCSPFromReplyURLs: form-action names every reply URL (two parties may
// share an origin), frame-ancestors their origins for the cleanup page
// only; a reply URL that would break the header is left out; reply URLs
// that appear at run time are picked up.
func TestCSPFromReplyURLs(t *testing.T) {
	parties := wsfed.PartyList{
		{Identifier: realm, ReplyURL: replyURL},
		{Identifier: "urn:alt", ReplyURL: "https://adfs.example.test/alt/ls/"},
		{Identifier: "urn:other", ReplyURL: "https://other.example.test:8443/adfs/ls/"},
	}
	p := newParts(t, parties)
	var mu sync.Mutex
	dynamic := []string{}
	o := p.options()
	o.ReplyURLs = []string{replyURL, "https://adfs.example.test/alt/ls/", "https://other.example.test:8443/adfs/ls/",
		replyURL, "https://bad.example.test/ls/; script-src *"}
	o.DynamicReplyURLs = func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), dynamic...) }
	srv := serve(t, o)
	forms := " " + replyURL + " https://adfs.example.test/alt/ls/ https://other.example.test:8443/adfs/ls/"
	res, _ := fetch(t, srv, "GET", "/healthz")
	wantHeaders(t, res, false, csp(forms, "'none'"))

	res, body := fetch(t, srv, "GET", login.PathWSFed+"?wa=wsignoutcleanup1.0")
	if res.StatusCode != http.StatusOK || len(body) > 64 {
		t.Fatalf("cleanup: %d %q", res.StatusCode, body)
	}
	if got, want := res.Header.Get("Content-Security-Policy"), csp(forms, "https://adfs.example.test https://other.example.test:8443"); got != want {
		t.Errorf("cleanup CSP\n got %s\nwant %s", got, want)
	}
	if res.Header.Get("X-Frame-Options") != "" || res.Header.Get(login.HeaderAllowFraming) != "" {
		t.Errorf("cleanup: X-Frame-Options %q, marker %q", res.Header.Get("X-Frame-Options"), res.Header.Get(login.HeaderAllowFraming))
	}

	mu.Lock()
	dynamic = append(dynamic, "https://adfs2.example.test/adfs/ls/")
	mu.Unlock()
	res, _ = fetch(t, srv, "GET", "/healthz")
	wantHeaders(t, res, false, csp(forms+" https://adfs2.example.test/adfs/ls/", "'none'"))
}

// TestNewRefusesBadOptions: missing parts and relative reply URLs are
// start-up errors, not broken responses.
func TestNewRefusesBadOptions(t *testing.T) {
	p := newParts(t, wsfed.PartyList{{Identifier: realm, ReplyURL: replyURL}})
	for name, mutate := range map[string]func(*server.Options){
		"no flow":            func(o *server.Options) { o.Flow = nil },
		"no pages":           func(o *server.Options) { o.Pages = nil },
		"no metadata":        func(o *server.Options) { o.Metadata = nil },
		"relative reply URL": func(o *server.Options) { o.ReplyURLs = []string{"/adfs/ls/"} },
	} {
		o := p.options()
		mutate(&o)
		if _, err := server.New(o); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}

// TestRoutesServeWhatTheyShould: metadata, assets, logo, health, root.
func TestRoutesServeWhatTheyShould(t *testing.T) {
	p := newParts(t, wsfed.PartyList{{Identifier: realm, ReplyURL: replyURL}})
	o := p.options()
	o.Logo = []byte("\x89PNG\r\n\x1a\n0000")
	healthy := errors.New("store: unreachable")
	o.Health = func() (bool, string) { return false, healthy.Error() }
	srv := serve(t, o)
	for path, ct := range map[string]string{
		server.MetadataPath: "application/samlmetadata+xml", "/static/style.css": "text/css; charset=utf-8",
		"/static/autopost.js": "text/javascript; charset=utf-8", "/static/logo": "image/png", "/static/brand.css": "text/css; charset=utf-8",
	} {
		res, body := fetch(t, srv, "GET", path)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != ct || body == "" {
			t.Errorf("%s: %d %q (%d bytes), want 200 %q", path, res.StatusCode, res.Header.Get("Content-Type"), len(body), ct)
		}
	}
	if _, body := fetch(t, srv, "GET", server.MetadataPath); body != "<EntityDescriptor/>" {
		t.Errorf("metadata %q", body)
	}
	// Liveness: 200 with the details (for this host), even when a part
	// is unhealthy (that is /readyz's 503: a restart cannot cure it).
	res, body := fetch(t, srv, "GET", "/healthz")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "unreachable") {
		t.Errorf("unhealthy: %d %q", res.StatusCode, body)
	}
	res, _ = fetch(t, srv, "GET", "/")
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != server.MetadataPath {
		t.Errorf("root: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	for _, name := range []string{"..", "..%2Fgo.mod", "%2E%2E", ".hidden", "x%2F..%2F..%2Fdoc.go"} {
		if res, _ := fetch(t, srv, "GET", "/static/"+name); res.StatusCode != http.StatusNotFound {
			t.Errorf("/static/%s: %d, want 404", name, res.StatusCode)
		}
	}
}

// TestRequestContext: each request gets its own id, echoed in
// X-Request-Id; the client address comes from the configured function;
// the access log has the path but never the query (wctx, login hints).
func TestRequestContext(t *testing.T) {
	p := newParts(t, wsfed.PartyList{{Identifier: realm, ReplyURL: replyURL}})
	o := p.options()
	o.ClientAddr = func(*http.Request) string { return "198.51.100.9" }
	o.Mounts = map[string]http.Handler{"/echo": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s", server.RequestID(r), server.ClientAddr(r))
	})}
	srv := serve(t, o)
	seen := map[string]bool{}
	for range 3 {
		res, body := fetch(t, srv, "GET", "/echo")
		id := res.Header.Get("X-Request-Id")
		if body != id+" 198.51.100.9" || seen[id] || len(id) < 16 {
			t.Errorf("echo %q, header id %q", body, id)
		}
		seen[id] = true
	}
	fetch(t, srv, "GET", login.PathWSFed+"?"+url.Values{"wa": {"wsignin1.0"}, "wtrealm": {realm}, "wctx": {"secret-ctx-value"}, "login_hint": {"hint-value"}}.Encode())
	log := p.log.String()
	if !strings.Contains(log, "path=/wsfed") || strings.Contains(log, "secret-ctx-value") || strings.Contains(log, "hint-value") {
		t.Errorf("access log:\n%s", log)
	}
}
