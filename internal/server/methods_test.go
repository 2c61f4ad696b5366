package server_test

import (
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/server"
	"github.com/claimgate/claimgate/sts/wsfed"
)

// mountedRouter stands for a mounted chi router such as the demo's.
func mountedRouter() http.Handler {
	r := chi.NewRouter()
	r.Get("/", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("mounted")) })
	r.Post("/in", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("posted")) })
	return r
}

// TestHeadAnswersLikeGet: HEAD gets the status and headers GET gets, for
// pages, errors, the metadata, assets, health and a mounted router, and no
// body.
func TestHeadAnswersLikeGet(t *testing.T) {
	p := newParts(t, wsfed.PartyList{{Identifier: realm, ReplyURL: replyURL}})
	o := p.options()
	o.Mounts = map[string]http.Handler{"/mounted": mountedRouter()}
	srv := serve(t, o)
	for _, path := range []string{"/healthz", server.MetadataPath, "/static/style.css", "/", "/nope", "/mounted/"} {
		get, getBody := fetch(t, srv, http.MethodGet, path)
		head, headBody := fetch(t, srv, http.MethodHead, path)
		if head.StatusCode != get.StatusCode {
			t.Errorf("HEAD %s: status %d, GET gives %d", path, head.StatusCode, get.StatusCode)
		}
		if get.StatusCode == http.StatusMethodNotAllowed || getBody == "" {
			t.Errorf("GET %s: %d with %d bytes; the comparison proves nothing", path, get.StatusCode, len(getBody))
		}
		if headBody != "" {
			t.Errorf("HEAD %s: a body of %d bytes", path, len(headBody))
		}
		for _, h := range []string{"Content-Type", "Cache-Control", "Content-Security-Policy", "Location"} {
			if head.Header.Get(h) != get.Header.Get(h) {
				t.Errorf("HEAD %s: %s %q, GET gives %q", path, h, head.Header.Get(h), get.Header.Get(h))
			}
		}
	}
}

// TestNoHeadOnSignInRoutes: the sign-in routes' GET changes state (starts
// or ends a session, sends an SMS, makes an enrolment secret, issues a
// token), so HEAD there is 405, naming GET and POST, and does nothing.
func TestNoHeadOnSignInRoutes(t *testing.T) {
	p := newParts(t, wsfed.PartyList{{Identifier: realm, ReplyURL: replyURL}})
	srv := serve(t, p.options())
	for _, path := range []string{login.PathWSFed + "?wa=wsignout1.0", login.PathLogin, login.PathCode, login.PathPick, login.PathEnrol} {
		res, body := fetch(t, srv, http.MethodHead, path)
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, POST" || body != "" {
			t.Errorf("HEAD %s: %d, Allow %q, %d bytes; want 405, Allow \"GET, POST\", no body", path, res.StatusCode, res.Header.Get("Allow"), len(body))
		}
		if res.Header.Get("Set-Cookie") != "" {
			t.Errorf("HEAD %s set a cookie: the GET handler ran", path)
		}
	}
}

// TestMethodNotAllowedSaysAllow: every 405 names the methods the route
// takes in Allow (HEAD wherever GET), also inside a mounted router and for
// a method unknown to the router; and it is still the error page.
func TestMethodNotAllowedSaysAllow(t *testing.T) {
	p := newParts(t, wsfed.PartyList{{Identifier: realm, ReplyURL: replyURL}})
	o := p.options()
	o.Mounts = map[string]http.Handler{"/mounted": mountedRouter()}
	srv := serve(t, o)
	for _, c := range []struct{ method, path, allow string }{
		{http.MethodPost, "/healthz", "GET, HEAD"},
		{http.MethodPost, server.MetadataPath, "GET, HEAD"},
		{http.MethodDelete, "/static/style.css", "GET, HEAD"},
		{http.MethodPut, login.PathLogin, "GET, POST"},
		{http.MethodGet, login.PathSend, "POST"},
		{http.MethodHead, login.PathSend, "POST"},
		{http.MethodPost, "/mounted/", "GET, HEAD"},
		{http.MethodGet, "/mounted/in", "POST"},
		{"BREW", "/healthz", "GET, HEAD"},
	} {
		res, body := fetch(t, srv, c.method, c.path)
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != c.allow {
			t.Errorf("%s %s: %d, Allow %q; want 405, Allow %q", c.method, c.path, res.StatusCode, res.Header.Get("Allow"), c.allow)
		}
		if res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("%s %s: %q, not the error page", c.method, c.path, res.Header.Get("Content-Type"))
		}
		checkNoInternals(t, body)
	}
	// No route has the path: there is nothing to allow.
	if res, _ := fetch(t, srv, "BREW", "/nope"); res.StatusCode != http.StatusNotFound {
		t.Errorf("BREW /nope: %d, want 404", res.StatusCode)
	}
}
