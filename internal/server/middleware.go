package server

import (
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/claimgate/claimgate/internal/login"
)

// requestContext sets the request id and the client address.
func requestContext(clientAddr func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := newRequestID()
			w.Header().Set("X-Request-Id", id)
			r = withValue(r, keyRequestID, id)
			r = withValue(r, keyClientAddr, clientAddr(r))
			r = withValue(r, keyUserAgent, r.UserAgent())
			next.ServeHTTP(w, r)
		})
	}
}

// recoverer turns a panic into a generic 500 page and a log line with the
// stack; the stack never reaches the browser.
func recoverer(log *slog.Logger, fail func(http.ResponseWriter, *http.Request, int)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					log.Error("panic", "value", v, "request_id", RequestID(r), "stack", string(debug.Stack()))
					fail(w, r, http.StatusInternalServerError)
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// headerPolicy holds the security headers for every response.
type headerPolicy struct {
	https        bool
	formActions  []string // extra form-action sources (reply URLs)
	frameSources []string // frame-ancestors allowed for sign-out cleanup
	// dynamic, when set, adds reply URLs known only at run time (relying
	// parties configured from AD FS metadata); the CSP is then computed per
	// response.
	dynamic func() []string
}

// cspPair is the strict and the framable policies for one set of reply
// URLs; selfFramed is the strict one that claimgate's own pages may frame.
type cspPair struct{ key, strict, framable, selfFramed string }

// dynamicCSP returns the policies for the reply URLs known now, building
// them again only when the set has changed (a metadata refresh), not for
// every response.
func (p headerPolicy) dynamicCSP(cache *atomic.Pointer[cspPair]) *cspPair {
	urls := p.dynamic()
	key := strings.Join(urls, "\x00")
	if c := cache.Load(); c != nil && c.key == key {
		return c
	}
	q := p.withDynamic(urls)
	c := &cspPair{key: key, strict: q.csp(false), framable: q.csp(true), selfFramed: q.cspFramedBy("'self'")}
	cache.Store(c)
	return c
}

// withDynamic returns the policy with the run-time reply URLs added.
func (p headerPolicy) withDynamic(urls []string) headerPolicy {
	q := p
	q.formActions, q.frameSources = append([]string(nil), p.formActions...), append([]string(nil), p.frameSources...)
	q.addReplies(urls)
	return q
}

// addReplies allows posting tokens to the reply URLs and framing of the
// sign-out cleanup by their origins.
func (p *headerPolicy) addReplies(urls []string) {
	for _, u := range urls {
		pu, err := url.Parse(u)
		if err != nil || pu.Host == "" || strings.ContainsAny(u, " ;,'") {
			continue
		}
		if !slices.Contains(p.formActions, u) {
			p.formActions = append(p.formActions, u)
		}
		if origin := pu.Scheme + "://" + pu.Host; !slices.Contains(p.frameSources, origin) {
			p.frameSources = append(p.frameSources, origin)
		}
	}
}

// cspFetch are the fetch directives every policy starts with, whichever
// page it is for: nothing loads but our own script, style and images.
const cspFetch = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "

func (p headerPolicy) csp(framable bool) string {
	frames := "'none'"
	if framable && len(p.frameSources) > 0 {
		frames = strings.Join(p.frameSources, " ")
	}
	return p.cspFramedBy(frames)
}

// cspFramedBy is the strict policy with frame-ancestors ancestors.
func (p headerPolicy) cspFramedBy(ancestors string) string {
	forms := append([]string{"'self'"}, p.formActions...)
	return cspFetch + "form-action " + strings.Join(forms, " ") + "; frame-ancestors " + ancestors + "; base-uri 'none'"
}

// signingOutCSP is the policy of the "signing out" page: the token page's
// (tokenCSP: no form-action, for the same reason, since it posts a
// LogoutResponse to the party that asked, and messages to the others)
// plus frame-src with exactly the origins of its frames, and 'self': a
// browser applies the page's frame-src to every navigation inside a
// frame, redirects included, and each party answers in its frame by
// sending the browser back to our /saml2/slo with its LogoutResponse.
// Only that page may frame anything, and only those origins.
func signingOutCSP(origins []string) string {
	return cspFetch + "frame-src 'self' " + strings.Join(origins, " ") + "; frame-ancestors 'none'; base-uri 'none'"
}

// frameOrigins are the values of login.HeaderFrameSources that are plain
// http(s) origins (scheme://host[:port], nothing else): the handler
// derived them from configured endpoints, but a CSP source list must not
// be widened by a stray character.
func frameOrigins(vs []string) []string {
	var out []string
	for _, v := range vs {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Scheme+"://"+u.Host != v ||
			strings.ContainsAny(v, " ;,'*\"\\") {
			continue
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// tokenCSP is the policy of the auto-POST (token) page: the strict policy
// without form-action, nothing else changed. Chrome and Edge apply
// form-action to every redirect that follows a form submission
// (w3c/webappsec-csp#8), and AD FS answers the token POST to /adfs/ls/
// with a redirect chain that, for OAuth/OpenID Connect application groups,
// ends at the application's own redirect_uri: an origin, or for a native
// client a private-use scheme, that no list here can know. With form-action
// the browser stops on that last hop and the user sees a blank page;
// "form-action *" would still refuse non-network schemes. What the
// directive guarded on this page is held by other means: the form's action
// is the server-configured reply URL (never request input), every value is
// escaped by html/template, scripts come only from 'self', and base-uri
// 'none' stops a <base> from re-pointing the form. Pages where a user types
// a password or code keep the strict form-action.
const tokenCSP = cspFetch + "frame-ancestors 'none'; base-uri 'none'"

// securityHeaders sets the headers on every response. Two internal
// response headers, set only by the login handlers and removed here before
// anything is sent, relax one response each: login.HeaderAllowFraming lets
// AD FS frame the sign-out cleanup, login.HeaderTokenPage gives the
// auto-POST page tokenCSP, login.HeaderFrameSources gives the "signing
// out" page signingOutCSP with its frames' origins, and HeaderAllowFraming
// = login.FramingSelf lets only our own pages frame a response (a party's
// LogoutResponse answered inside such a frame). They are response headers, so nothing a client
// sends can set them, and a relaxation is honoured only on the 200 answer
// it was meant for: a handler that set a marker and then failed (a render
// error, a panic turned into a 500 by recoverer) sends its error page under
// the strict policy. The token page is never framable, whatever else was
// set.
func securityHeaders(p headerPolicy) func(http.Handler) http.Handler {
	static := &cspPair{strict: p.csp(false), framable: p.csp(true), selfFramed: p.cspFramedBy("'self'")}
	var cache atomic.Pointer[cspPair]
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			pair := static
			if p.dynamic != nil {
				pair = p.dynamicCSP(&cache)
			}
			strict, framable := pair.strict, pair.framable
			hw := &headerWriter{ResponseWriter: w, apply: func(h http.Header, code int) {
				ok := code == http.StatusOK
				token := ok && h.Get(login.HeaderTokenPage) != ""
				allow := ok && h.Get(login.HeaderAllowFraming) != ""
				self := allow && h.Get(login.HeaderAllowFraming) == login.FramingSelf
				var frames []string
				if ok {
					frames = frameOrigins(h.Values(login.HeaderFrameSources))
				}
				h.Del(login.HeaderTokenPage)
				h.Del(login.HeaderAllowFraming)
				h.Del(login.HeaderFrameSources)
				switch {
				case token:
					h.Set("Content-Security-Policy", tokenCSP)
					h.Set("X-Frame-Options", "DENY")
				case len(frames) > 0:
					h.Set("Content-Security-Policy", signingOutCSP(frames))
					h.Set("X-Frame-Options", "DENY")
				case self:
					// Only our own pages frame it: X-Frame-Options
					// SAMEORIGIN says the same to old browsers.
					h.Set("Content-Security-Policy", pair.selfFramed)
					h.Set("X-Frame-Options", "SAMEORIGIN")
				case allow:
					h.Set("Content-Security-Policy", framable)
				default:
					h.Set("Content-Security-Policy", strict)
					h.Set("X-Frame-Options", "DENY")
				}
				h.Set("X-Content-Type-Options", "nosniff")
				h.Set("Referrer-Policy", "no-referrer")
				h.Set("Cross-Origin-Opener-Policy", "same-origin")
				h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
				if h.Get("Cache-Control") == "" {
					h.Set("Cache-Control", "no-store")
				}
				if p.https {
					h.Set("Strict-Transport-Security", "max-age=31536000")
				}
			}}
			next.ServeHTTP(hw, r)
			if !hw.done {
				// Nothing was written: net/http would send the bare
				// headers; send ours with them.
				hw.WriteHeader(http.StatusOK)
			}
		})
	}
}

// headerWriter applies headers just before the status line is written, so
// handlers can still influence them.
type headerWriter struct {
	http.ResponseWriter
	apply func(h http.Header, code int)
	done  bool
}

func (w *headerWriter) WriteHeader(code int) {
	if !w.done {
		w.done = true
		w.apply(w.Header(), code)
	}
	w.ResponseWriter.WriteHeader(code)
}

// FlushError sends our headers before anything is flushed. Without it,
// http.ResponseController would unwrap past this writer and send the
// handler's header map as it is: no security headers, internal markers
// included.
func (w *headerWriter) FlushError() error {
	if !w.done {
		w.WriteHeader(http.StatusOK)
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *headerWriter) Write(b []byte) (int, error) {
	if !w.done {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *headerWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// statusWriter records the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog writes one line per request: never the query string, which
// may carry wctx or login hints, only the path.
func accessLog(log *slog.Logger, now func() time.Time) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := now()
			sw := &statusWriter{ResponseWriter: w}
			next.ServeHTTP(sw, r)
			log.Info("http", "method", r.Method, "path", r.URL.Path, "status", sw.status,
				"duration_ms", now().Sub(start).Milliseconds(), "client", ClientAddr(r), "request_id", RequestID(r))
		})
	}
}
