package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/testutil"
)

// TestServeAuditRecords reads the JSON audit lines of a full sign-in and of
// failed ones (wrong password, unknown user, wrong code, a lockout) and of
// an app password's use, and checks their fields, then that no password,
// code or secret appears in any audit line or in the service's log.
func TestServeAuditRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; run without -short (make test)")
	}
	alice := e2eUser{Name: "alice", Password: newPassword(t), TOTP: newSeed(t)}
	carol := e2eUser{Name: "carol", Password: newPassword(t), TOTP: newSeed(t)}
	fx := newFixture(t, alice, carol)
	fx.writeConfig(t, serveConfig{extra: "lockout:\n  max_failures: 3\n"})
	srv := startServe(t, fx)
	_, carolApp := createAppPassword(t, fx, "carol", "tablet")
	browser := testutil.Browser(t)
	start := time.Now()

	s := newSession(t, browser)
	ua, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](`navigator.userAgent`))
	if err != nil || ua == "" {
		t.Fatalf("user agent %q: %v", ua, err)
	}
	wrongPW, strangerPW := "wrong-"+newPassword(t), newPassword(t)
	s.begin(fx.rp)
	s.password("alice", wrongPW)
	s.expectError(msgCredentials)
	s.password("mallory", strangerPW)
	s.expectError(msgCredentials)
	if s.password("alice", alice.Password); s.heading() != titleCode {
		s.fail("page %q after the password", s.heading())
	}
	good := testutil.TOTP(t, alice.TOTP)
	bad := "000000"
	if good == bad {
		bad = "111111"
	}
	s.code(bad)
	s.expectError(msgBadCode)
	before := fx.rp.count()
	s.code(good)
	s.tokenArrives(fx.rp, before)

	// carol: an app password's use, then a lockout.
	s = newSession(t, browser)
	s.begin(fx.rp)
	if s.password("carol", carolApp); s.heading() != titleCode {
		s.fail("app password: page %q", s.heading())
	}
	s = newSession(t, browser)
	s.begin(fx.rp)
	var wrongs []string
	for range 4 {
		wrongs = append(wrongs, "wrong-"+newPassword(t))
		s.password("carol", wrongs[len(wrongs)-1])
	}
	srv.stop(t) // everything is written

	recs := readAudit(t, fx)
	// A name that matched no account is kept only as a keyed hash, with
	// the key from the data directory.
	key, err := os.ReadFile(filepath.Join(fx.dir, "data", "audit-name.key"))
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("mallory"))
	mallory := "unknown:" + hex.EncodeToString(m.Sum(nil)[:8])
	type want struct{ event, user, outcome, reason string }
	for _, w := range []want{
		{"first_factor_failed", "alice", "failure", "bad_password"},
		{"first_factor_failed", mallory, "failure", "unknown_user"},
		{"first_factor_ok", "alice", "success", ""},
		{"second_factor_failed", "alice", "failure", "bad_code"},
		{"second_factor_ok", "alice", "success", ""},
		{"token_issued", "alice", "success", ""},
	} {
		r := findAudit(recs, w.event, w.user)
		if r == nil {
			t.Errorf("no %s record for %s", w.event, w.user)
			continue
		}
		for _, k := range []string{"time", "event", "outcome", "user", "client_addr", "user_agent", "request_id", "relying_party"} {
			if v, ok := r.fields[k].(string); !ok || v == "" {
				t.Errorf("%s record has no %q: %s", w.event, k, r.raw)
			}
		}
		if r.Outcome != audit.Outcome(w.outcome) || r.Reason != w.reason {
			t.Errorf("%s: outcome %q reason %q, want %q %q", w.event, r.Outcome, r.Reason, w.outcome, w.reason)
		}
		if r.ClientAddr != "127.0.0.1" || r.UserAgent != ua || r.RelyingParty != rpRealm ||
			!regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(r.RequestID) {
			t.Errorf("%s: client %q, user agent %q, relying party %q, request id %q", w.event, r.ClientAddr, r.UserAgent, r.RelyingParty, r.RequestID)
		}
		if r.Time.Before(start.Add(-time.Second)) || r.Time.After(time.Now()) || r.Time.Location() != time.UTC {
			t.Errorf("%s: time %v not during the test in UTC", w.event, r.Time)
		}
	}
	// Every record of a browser request says who, from where, with what.
	for _, ev := range []string{"app_password_used", "lockout"} {
		if findAudit(recs, ev, "carol") == nil {
			t.Errorf("no %s record for carol", ev)
		}
	}
	for _, r := range recs {
		if r.Reason == "admin_cli" {
			continue // written by the CLI, not for a request
		}
		if r.User == "" || r.ClientAddr != "127.0.0.1" || r.UserAgent != ua || r.RequestID == "" || r.Time.IsZero() {
			t.Errorf("record lacks user, client address, user agent, request id or time: %s", r.raw)
		}
	}
	// Each request has its own id: the password and the code step differ.
	if a, b := findAudit(recs, "first_factor_ok", "alice"), findAudit(recs, "second_factor_ok", "alice"); a != nil && b != nil && a.RequestID == b.RequestID {
		t.Errorf("two requests share request id %s", a.RequestID)
	}

	// The store keeps the same records: `claimgate users audit` prints them.
	out := fx.cli(t, "users", "audit", "--user", "alice")
	if !strings.Contains(out, `"event":"token_issued"`) || !strings.Contains(out, `"reason":"bad_code"`) {
		t.Errorf("users audit --user alice:\n%s", out)
	}

	secrets := append([]string{alice.Password, wrongPW, strangerPW, alice.TOTP, good, bad, carol.Password, carolApp}, wrongs...)
	assertAbsent(t, "audit log", auditText(recs), append(secrets, "mallory")...)
	assertAbsent(t, "audit records in the store", out, secrets...)
	assertAbsent(t, "service log", srv.stderr.String(), secrets...)
	if !strings.Contains(srv.stderr.String(), `"request_id"`) {
		t.Errorf("the service log has no request lines; the check above proved nothing:\n%s", srv.stderr.String())
	}
}
