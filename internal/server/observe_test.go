package server_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/claimgate/claimgate/sts/wsfed"
)

// observed is one call of Options.Observe.
type observed struct {
	route, method string
	status        int
}

// TestObserveReportsRoutePatterns: the hook sees the pattern chi matched,
// never the raw path, for the top router and a mounted one; a path no
// route matches is reported with an empty route, and every request is
// reported once, with the status the client got.
func TestObserveReportsRoutePatterns(t *testing.T) {
	p := newParts(t, wsfed.PartyList{{Identifier: realm, ReplyURL: replyURL}})
	var mu sync.Mutex
	var got []observed
	o := p.options()
	o.Observe = func(route, method string, status int, d time.Duration) {
		if d < 0 {
			t.Errorf("negative duration %v", d)
		}
		mu.Lock()
		got = append(got, observed{route, method, status})
		mu.Unlock()
	}
	sub := chi.NewRouter()
	sub.Get("/item/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	o.Mounts = map[string]http.Handler{"/mounted": sub}
	srv := serve(t, o)

	for _, tc := range []struct {
		method, path string
		want         observed
	}{
		{"GET", "/static/style.css", observed{"/static/{name}", "GET", 200}},
		{"GET", "/static/no-such-file-" + t.Name(), observed{"/static/{name}", "GET", 404}},
		{"GET", "/healthz", observed{"/healthz", "GET", 200}},
		{"HEAD", "/healthz", observed{"/healthz", "HEAD", 200}},
		{"GET", "/", observed{"/", "GET", 302}},
		{"GET", "/login", observed{"/login", "GET", 400}},
		{"GET", "/mounted/item/42", observed{"/mounted/item/{id}", "GET", 418}},
		{"GET", "/no/such/path/12345", observed{"", "GET", 404}},
		{"DELETE", "/healthz", observed{"", "DELETE", 405}},
	} {
		mu.Lock()
		got = nil
		mu.Unlock()
		res, _ := fetch(t, srv, tc.method, tc.path)
		mu.Lock()
		calls := append([]observed(nil), got...)
		mu.Unlock()
		if len(calls) != 1 {
			t.Errorf("%s %s: observed %d times: %v", tc.method, tc.path, len(calls), calls)
			continue
		}
		if c := calls[0]; c != tc.want || c.status != res.StatusCode {
			t.Errorf("%s %s: observed %+v (client got %d), want %+v", tc.method, tc.path, calls[0], res.StatusCode, tc.want)
		}
	}
}
