package app

import (
	"database/sql"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/metrics"
	_ "modernc.org/sqlite"
)

// TestNewSessionBudgetFromConfig: server.session.new_sessions_per_client_mib
// reaches the sign-in flow: sign-in requests at wctx's 8 KiB limit, never
// followed, store rows until the client's 1 MiB is spent, then get the
// busy page and store nothing more; the metrics count the refusal under
// the client's budget.
func TestNewSessionBudgetFromConfig(t *testing.T) {
	m := metrics.New()
	a, dir := buildFromYAMLServerWith(t, "  session: {new_sessions_per_client_mib: 1, new_sessions_mib: 2}\n", `relying_parties:
  - {name: adfs, identifier: http://adfs.example.test/adfs/services/trust, reply_url: https://adfs.example.test/adfs/ls/}
`, Options{Metrics: m})
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	q := url.Values{"wa": {"wsignin1.0"}, "wtrealm": {"http://adfs.example.test/adfs/services/trust"}, "wctx": {strings.Repeat("c", 8<<10)}}
	started := 0
	var last *http.Response
	for range 200 {
		resp, err := client.Get(srv.URL + "/wsfed?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		last = resp
		if resp.StatusCode != http.StatusSeeOther {
			break
		}
		started++
	}
	// A row of some 11.5 KiB: about 90 in 1 MiB, the client's budget.
	if last.StatusCode != http.StatusServiceUnavailable || last.Header.Get("Retry-After") == "" || started < 60 || started > 100 {
		t.Fatalf("after %d sign-ins started: %d, Retry-After %q; want 503 after some 90", started, last.StatusCode, last.Header.Get("Retry-After"))
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "claimgate.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, bytes int
	if err := db.QueryRow(`SELECT count(*), coalesce(sum(length(data)), 0) FROM sessions`).Scan(&rows, &bytes); err != nil {
		t.Fatal(err)
	}
	if rows != started || bytes > 1<<20+16<<10 {
		t.Errorf("store holds %d sessions (%d bytes), want the %d started, within 1 MiB", rows, bytes, started)
	}
	f := scrapeApp(t, m)
	const refused = "claimgate_new_sessions_refused_total"
	if v := f.Value(t, refused, "budget", "client"); v != 1 {
		t.Errorf("%s{budget=client} = %v, want the 1 refusal", refused, v)
	}
	for _, b := range []string{"instance", "proven"} {
		if v := f.Value(t, refused, "budget", b); v != 0 {
			t.Errorf("%s{budget=%s} = %v, want 0 (the client's budget refused)", refused, b, v)
		}
	}
}

// TestNewSessionBudgetOutlivesAReload: with Options.StartBudget (as serve
// builds every generation), the App a reload builds starts from what the
// previous one spent: the client that spent its budget is still refused,
// instead of getting a second one.
func TestNewSessionBudgetOutlivesAReload(t *testing.T) {
	root := login.NewStartBudget(login.StartBudgetOptions{Total: 1 << 30, PerAddress: 1 << 30})
	server := "  session: {new_sessions_per_client_mib: 1, new_sessions_mib: 2}\n"
	parties := `relying_parties:
  - {name: adfs, identifier: http://adfs.example.test/adfs/services/trust, reply_url: https://adfs.example.test/adfs/ls/}
`
	q := url.Values{"wa": {"wsignin1.0"}, "wtrealm": {"http://adfs.example.test/adfs/services/trust"}, "wctx": {strings.Repeat("c", 8<<10)}}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	start := func(a *App) int {
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		resp, err := client.Get(srv.URL + "/wsfed?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	first, _ := buildFromYAMLServerWith(t, server, parties, Options{StartBudget: root})
	started := 0
	for start(first) == http.StatusSeeOther {
		if started++; started > 200 {
			t.Fatal("the client's 1 MiB never ran out")
		}
	}
	if started == 0 {
		t.Fatal("the first sign-in request was refused")
	}
	reloaded, _ := buildFromYAMLServerWith(t, server, parties, Options{StartBudget: root})
	if code := start(reloaded); code != http.StatusServiceUnavailable {
		t.Fatalf("after a reload the client that spent its budget (%d sign-ins started) got %d, want 503", started, code)
	}
	// A reload that raises the client's budget to 2 MiB gives the extra
	// MiB at once.
	raised, _ := buildFromYAMLServerWith(t, "  session: {new_sessions_per_client_mib: 2, new_sessions_mib: 4}\n", parties, Options{StartBudget: root})
	more := 0
	for start(raised) == http.StatusSeeOther {
		if more++; more > 200 {
			t.Fatal("the raised budget never ran out")
		}
	}
	if more < started*3/4 || more > started*5/4 {
		t.Errorf("raising the client's budget from 1 to 2 MiB let %d more sign-ins start, want about the %d of the first MiB", more, started)
	}
}
