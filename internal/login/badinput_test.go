package login_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/internal/login"
)

// TestBadInput: every malformed, oversized, incomplete or untrusted
// request gets a 4xx HTML page with its fixed message: no panic, no
// redirect, no internals (the browser helper checks headers, page hygiene
// and the forbidden strings on every page).
func TestBadInput(t *testing.T) {
	e := newEnv(t, setup{})
	rq := url.QueryEscape(realm)
	base := login.PathWSFed + "?wa=wsignin1.0&wtrealm=" + rq
	big := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name, method, target, body string
		status                     int
		key                        string
	}{
		{"bad escape in a value", "GET", base + "&wctx=%zz", "", 400, "error.bad_request"},
		{"bad escape in a key", "GET", login.PathWSFed + "?%g1=1&wa=wsignin1.0&wtrealm=" + rq, "", 400, "error.bad_request"},
		{"truncated escape", "GET", base + "&wctx=abc%", "", 400, "error.bad_request"},
		{"semicolon separator", "GET", login.PathWSFed + "?wa=wsignin1.0;wtrealm=" + rq, "", 400, "error.bad_request"},
		{"query over 16 KiB", "GET", base + "&wctx=" + big(16<<10), "", 414, "error.too_large"},
		{"query of 200 KiB", "GET", base + "&x=" + big(200<<10), "", 414, "error.too_large"},
		{"wctx over its own cap", "GET", base + "&wctx=" + big(9<<10), "", 400, "error.too_large"},
		{"protocol form over 16 KiB", "POST", login.PathWSFed, "wa=wsignin1.0&wtrealm=" + rq + "&wctx=" + big(17<<10), 413, "error.too_large"},
		{"login form over 8 KiB", "POST", login.PathLogin, "username=alice&password=" + big(9<<10), 413, "error.too_large"},
		{"code form over 8 KiB", "POST", login.PathCode, "code=" + big(9<<10), 413, "error.too_large"},
		{"bad escape in a form body", "POST", login.PathWSFed, "wa=%zz&wtrealm=" + rq, 400, "error.bad_request"},
		{"no query", "GET", login.PathWSFed, "", 400, "error.bad_request"},
		{"missing wa", "GET", login.PathWSFed + "?wtrealm=" + rq, "", 400, "error.bad_request"},
		{"missing wtrealm", "GET", login.PathWSFed + "?wa=wsignin1.0&wctx=x", "", 400, "error.bad_request"},
		{"empty wtrealm", "GET", login.PathWSFed + "?wa=wsignin1.0&wtrealm=", "", 400, "error.bad_request"},
		{"unknown wa", "GET", login.PathWSFed + "?wa=wsignin2.0&wtrealm=" + rq, "", 400, "error.bad_request"},
		{"duplicate wa", "GET", base + "&wa=wsignin1.0", "", 400, "error.bad_request"},
		{"duplicate wtrealm", "GET", base + "&wtrealm=" + rq, "", 400, "error.bad_request"},
		{"duplicate wctx", "GET", base + "&wctx=a&wctx=b", "", 400, "error.bad_request"},
		{"wa in query and form", "POST", login.PathWSFed + "?wa=wsignin1.0", "wa=wsignin1.0&wtrealm=" + rq, 400, "error.bad_request"},
		{"unknown realm", "GET", login.PathWSFed + "?wa=wsignin1.0&wtrealm=urn%3Aunknown", "", 400, "error.unknown_realm"},
		{"realm in other case", "GET", login.PathWSFed + "?wa=wsignin1.0&wtrealm=" + url.QueryEscape(strings.ToUpper(realm)), "", 400, "error.unknown_realm"},
		{"realm with a trailing slash", "GET", base + "%2F", "", 400, "error.unknown_realm"},
		{"foreign wreply", "GET", base + "&wreply=" + url.QueryEscape("https://evil.example/adfs/ls/"), "", 400, "error.bad_reply"},
		{"another party's wreply", "GET", base + "&wreply=" + url.QueryEscape(reply2), "", 400, "error.bad_reply"},
		{"control character in wctx", "GET", base + "&wctx=a%01b", "", 400, "error.bad_request"},
		{"newline in wtrealm", "GET", base + "%0A", "", 400, "error.bad_request"},
		{"DEL in login_hint", "GET", base + "&login_hint=al%7Fice", "", 400, "error.bad_request"},
		{"NUL in wctx", "GET", base + "&wctx=%00", "", 400, "error.bad_request"},
		{"invalid UTF-8", "GET", base + "&wctx=%FF%FE", "", 400, "error.bad_request"},
		{"login page without a request", "GET", login.PathLogin, "", 400, "error.no_request"},
		{"code page without a request", "GET", login.PathCode, "", 400, "error.session_expired"},
		{"login form without a request", "POST", login.PathLogin, "username=alice&password=x", 400, "error.session_expired"},
		{"method form without a request", "POST", login.PathPick, "method=x", 400, "error.session_expired"},
		{"resend without a request", "POST", login.PathSend, "", 400, "error.session_expired"},
		{"enrolment without a request", "GET", login.PathEnrol, "", 400, "error.session_expired"},
		{"enrolment form without a request", "POST", login.PathEnrol, "code=1", 400, "error.session_expired"},
		{"unknown path", "GET", "/nope", "", 404, "error.not_found"},
		{"unknown method", "PUT", login.PathWSFed, "", 405, "error.method"},
		{"encoded traversal in static", "GET", "/static/..%2f..%2fgo.mod", "", 404, "error.not_found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, e.srv.URL+c.target, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if c.body != "" {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			p := e.browser().do(req)
			p.wantStatus(t, c.status)
			if ct := p.res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type %q", ct)
			}
			if p.res.Header.Get("Location") != "" {
				t.Errorf("redirected to %q", p.res.Header.Get("Location"))
			}
			wantMessage(t, p, c.key)
			if len(p.body) > 8<<10 {
				t.Errorf("error page of %d bytes echoes input", len(p.body))
			}
		})
	}
	// The detail is in the log, for the operator.
	if !strings.Contains(e.log.String(), "unknown_wtrealm") {
		t.Error("refused realm not logged")
	}

	t.Run("configured wreply accepted", func(t *testing.T) {
		e.browser().get(base+"&wreply="+url.QueryEscape(replyURL)).wantRedirect(t, login.PathLogin)
	})
	t.Run("oversized session cookie", func(t *testing.T) {
		req, _ := http.NewRequest("GET", e.srv.URL+login.PathLogin, nil)
		req.Header.Set("Cookie", "claimgate="+big(4<<10))
		p := e.browser().do(req)
		p.wantStatus(t, http.StatusBadRequest)
		wantMessage(t, p, "error.no_request")
	})
}

// FuzzWSFed throws arbitrary query strings (bytes a real request line
// could not even carry included) at the whole router: never a 5xx, never
// internals on the page.
func FuzzWSFed(f *testing.F) {
	e := newEnv(f, setup{})
	for _, s := range []string{
		"wa=wsignin1.0&wtrealm=" + url.QueryEscape(realm) + "&wctx=x",
		"wa=wsignout1.0&wreply=" + url.QueryEscape(replyURL),
		"wa=wsignoutcleanup1.0", "wa=%zz", "wa=wsignin1.0&wa=wsignin1.0", "wtrealm=%00", ";;&&==", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		for _, method := range []string{"GET", "POST"} {
			req := &http.Request{Method: method, URL: &url.URL{Path: login.PathWSFed, RawQuery: q},
				Header: http.Header{}, Host: "claimgate.test", RemoteAddr: "192.0.2.1:1234", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
			req.Body = io.NopCloser(strings.NewReader(""))
			if method == "POST" {
				req.Body = io.NopCloser(strings.NewReader(q))
				req.URL.RawQuery = ""
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req.WithContext(t.Context()))
			if rec.Code >= 500 {
				t.Fatalf("%s %q: status %d\n%s", method, q, rec.Code, rec.Body)
			}
			if body := rec.Body.String(); rec.Code >= 400 {
				checkNoInternals(t, method+" "+q, body)
			}
		}
	})
}
