package main

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
)

// TestServeReloadKeepsTheNewSessionBudget: a client that spent its
// new-session budget with sign-in requests it never followed is still
// refused after a reload (SIGHUP): the reload does not hand it a second
// budget to write to disk.
func TestServeReloadKeepsTheNewSessionBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; run without -short (make test)")
	}
	fx := newFixture(t, e2eUser{Name: "alice", Password: newPassword(t)})
	fx.writeConfig(t, serveConfig{server: "session: {new_sessions_per_client_mib: 1, new_sessions_mib: 2}\n"})
	hup := make(chan os.Signal, 1)
	srv := startReloadable(t, fx, hup, http.DefaultClient, fx.base)
	u := fx.base + "/wsfed?" + url.Values{"wa": {"wsignin1.0"}, "wtrealm": {rpRealm}, "wctx": {strings.Repeat("c", 8<<10)}}.Encode()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	start := func() int {
		resp, err := client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	started := 0
	for start() == http.StatusSeeOther {
		if started++; started > 200 {
			t.Fatal("the client's 1 MiB never ran out")
		}
	}
	if started == 0 {
		t.Fatal("the first sign-in request was refused")
	}
	if _, ok := srv.reload(t, hup); !ok {
		t.Fatalf("reload refused:\n%s", srv.stderr.String())
	}
	if code := start(); code != http.StatusServiceUnavailable {
		t.Fatalf("after the reload the client that spent its budget (%d sign-ins started) got %d, want 503", started, code)
	}
}
