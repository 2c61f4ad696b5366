package server

import (
	"context"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/templates"
)

// MetadataPath is where AD FS fetches our federation metadata.
const MetadataPath = "/FederationMetadata/2007-06/FederationMetadata.xml"

// Options are what the server mounts.
type Options struct {
	Flow  *login.Flow
	Pages *templates.Set
	// Metadata returns the signed federation metadata (built once, cached
	// by the caller).
	Metadata func() []byte
	// ReplyURLs are the relying parties' reply URLs; the auto-POST page may
	// submit to them and AD FS may frame the sign-out cleanup.
	ReplyURLs []string
	// DynamicReplyURLs, when set, adds reply URLs that may change while
	// running (relying parties configured from AD FS metadata).
	DynamicReplyURLs func() []string
	// HTTPS turns on HSTS.
	HTTPS bool
	// Logo is served at /static/logo when set.
	Logo []byte
	// Mounts are extra handlers by path prefix (e.g. "/demo").
	Mounts map[string]http.Handler
	// Health gives /healthz's details (the metadata sources); its ok is
	// for /readyz (Ready), never liveness.
	Health func() (ok bool, detail string)
	// Ready reports whether sign-in can work now, for ReadyPath; detail
	// lists the reasons (one per line). Nil means always ready.
	Ready      func(ctx context.Context) (ok bool, detail string)
	ClientAddr func(*http.Request) string
	Logger     *slog.Logger
	Now        func() time.Time
	// Observe, when set, is told about every answered request: the chi
	// route pattern ("" when no route matched), the method, the status and
	// the time taken (metrics).
	Observe func(route, method string, status int, d time.Duration)
}

// New builds the router.
func New(o Options) (http.Handler, error) {
	if o.Flow == nil || o.Pages == nil || o.Metadata == nil {
		return nil, fmt.Errorf("server: flow, pages and metadata are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ClientAddr == nil {
		o.ClientAddr = func(r *http.Request) string { return hostOnly(r.RemoteAddr) }
	}
	pol := headerPolicy{https: o.HTTPS, dynamic: o.DynamicReplyURLs}
	for _, u := range o.ReplyURLs {
		if pu, err := url.Parse(u); err != nil || pu.Host == "" {
			return nil, fmt.Errorf("server: reply URL %q is not absolute", u)
		}
	}
	pol.addReplies(o.ReplyURLs)
	errPage := func(w http.ResponseWriter, r *http.Request, status int) {
		key := map[int]string{404: "error.not_found", 405: "error.method"}[status]
		if key == "" {
			key = "error.internal"
		}
		// A handler may have set its own caching before it failed.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_ = o.Pages.Render(w, templates.PageError, templates.ErrorData{
			Common: templates.Common{RequestID: RequestID(r)}, Status: status, TitleKey: "error.title", MessageKey: key})
	}

	r := chi.NewRouter()
	flowRoutes := o.Flow.Routes()
	rt := newRouteTable(r, o.Mounts, flowRoutes)
	r.Use(requestContext(o.ClientAddr), accessLog(o.Logger, o.Now))
	if o.Observe != nil {
		r.Use(observe(o.Observe, o.Now))
	}
	r.Use(securityHeaders(pol), recoverer(o.Logger, errPage), rt.headAsGet)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) { errPage(w, r, http.StatusNotFound) })
	// A custom 405 handler replaces chi's default one, the only place chi
	// sets Allow (RFC 9110 §15.5.6 requires it), so the routes are asked
	// again here. Mounted chi routers inherit this handler. chi also comes
	// here with a method it does not know, for any path: where no method
	// at all is routed there is no resource, so 404.
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		allow := rt.allowed(routedPath(r))
		if allow == "" {
			errPage(w, r, http.StatusNotFound)
			return
		}
		w.Header().Set("Allow", allow)
		errPage(w, r, http.StatusMethodNotAllowed)
	})

	// The sign-in: the state machine's pages and each protocol's
	// endpoints (WS-Fed's /wsfed), as the flow lists them.
	for _, fr := range flowRoutes {
		r.Method(fr.Method, fr.Path, fr.Handler)
	}

	r.Get(MetadataPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_, _ = w.Write(o.Metadata())
	})
	r.Get("/static/brand.css", brandCSS(o.Pages.Branding()))
	r.Get("/static/logo", func(w http.ResponseWriter, r *http.Request) {
		if len(o.Logo) == 0 {
			errPage(w, r, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", http.DetectContentType(o.Logo))
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_, _ = w.Write(o.Logo)
	})
	r.Get("/static/{name}", func(w http.ResponseWriter, r *http.Request) {
		name := chi.URLParam(r, "name")
		b, err := o.Pages.Static(name)
		if err != nil {
			errPage(w, r, http.StatusNotFound)
			return
		}
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_, _ = w.Write(b)
	})
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		detail := "ok"
		if o.Health != nil {
			_, detail = o.Health()
		}
		// The detail names relying parties and metadata sources: only
		// for a monitor on this host. Others learn up or down.
		if a, err := netip.ParseAddr(ClientAddr(r)); err != nil || !a.IsLoopback() {
			detail = "ok"
		}
		// Liveness only: 200 while the process answers. A source without
		// usable metadata makes /readyz 503 (the load balancer takes the
		// instance out); a restart cannot cure it, so a liveness probe
		// must not see it.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(detail + "\n"))
	})
	r.Get(ReadyPath, readyHandler(o.Ready))
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, MetadataPath, http.StatusFound)
	})
	for prefix, h := range o.Mounts {
		r.Mount(prefix, h)
	}
	return r, nil
}

// routeTable answers which methods a path is routed for, for HEAD and
// Allow. chi's Match cannot: a Mount registers its prefix ("/demo",
// "/demo/") as a route of every method, and only looks into the mounted
// router below the prefix, so mounted chi routers are asked here directly.
type routeTable struct {
	top    chi.Routes
	mounts map[string]chi.Routes // by prefix, without a trailing slash
	// noHead are the sign-in routes whose GET changes state (a session
	// started or ended, an SMS sent, a secret made, a token issued): HEAD
	// there would do all that for a monitor or link checker and show
	// nothing, so they answer 405.
	noHead map[string]bool
}

func newRouteTable(top chi.Routes, mounts map[string]http.Handler, flow []login.Route) routeTable {
	t := routeTable{top: top, mounts: map[string]chi.Routes{}, noHead: map[string]bool{}}
	for _, fr := range flow {
		if fr.Method == http.MethodGet {
			t.noHead[fr.Path] = true
		}
	}
	for prefix, h := range mounts {
		if sub, ok := h.(chi.Routes); ok {
			t.mounts[strings.TrimSuffix(prefix, "/")] = sub
		}
	}
	return t
}

// match reports whether method is routed for path (the full request path).
func (t routeTable) match(method, path string) bool {
	for prefix, sub := range t.mounts {
		if rest, ok := strings.CutPrefix(path, prefix); ok && (rest == "" || rest[0] == '/') {
			if rest == "" {
				rest = "/"
			}
			return sub.Match(chi.NewRouteContext(), method, rest)
		}
	}
	return t.top.Match(chi.NewRouteContext(), method, path)
}

// allowed is the Allow header for path: the methods routed for it, HEAD
// wherever GET is (headAsGet) but on the sign-in routes; empty if none is.
func (t routeTable) allowed(path string) string {
	var allow []string
	// The methods a route may be registered for, in the order Allow lists them.
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions} {
		if t.match(m, path) || (m == http.MethodHead && !t.noHead[path] && t.match(http.MethodGet, path)) {
			allow = append(allow, m)
		}
	}
	return strings.Join(allow, ", ")
}

// headAsGet routes HEAD to the GET handler wherever no HEAD route exists
// (monitors and link checkers probe with HEAD): net/http drops the body and
// keeps the headers GET would send, as RFC 9110 §9.3.2 asks. It does what
// chi's middleware.GetHead does, but also for mounted routers (see
// routeTable); the method stays HEAD for the handler.
func (t routeTable) headAsGet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			if p := routedPath(r); !t.noHead[p] && !t.match(http.MethodHead, p) && t.match(http.MethodGet, p) {
				chi.RouteContext(r.Context()).RouteMethod = http.MethodGet
			}
		}
		next.ServeHTTP(w, r)
	})
}

// routedPath is the path chi routes on.
func routedPath(r *http.Request) string {
	if r.URL.RawPath != "" {
		return r.URL.RawPath
	}
	return r.URL.Path
}

func brandCSS(b templates.Branding) http.HandlerFunc {
	css := fmt.Sprintf("button,.button{background:%s}\na{color:%s}\n", b.PrimaryColor, b.PrimaryColor)
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_, _ = w.Write([]byte(css))
	}
}

func hostOnly(remote string) string {
	u := url.URL{Host: remote}
	if h := u.Hostname(); h != "" {
		return h
	}
	return remote
}
