package audit_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/sqlitestore"
	"github.com/claimgate/claimgate/internal/testutil"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))

// syncBuffer collects output written from the server's goroutines.
type syncBuffer = testutil.SyncBuffer

func openStore(t *testing.T) *sqlitestore.DB {
	t.Helper()
	db, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func lines(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// TestFullSignInNeverRecordsSecrets logs the records of a full sign-in, a
// failed one and app-password events, with the secrets deliberately offered
// in Detail, and greps both sinks for them.
func TestFullSignInNeverRecordsSecrets(t *testing.T) {
	ctx := context.Background()
	const (
		password    = "Tr0ub4dor&3-domain"
		appPassword = "abcd-efgh-ijkl-mnop"
		code        = "492039"
		secret      = "JBSWY3DPEHPK3PXP"
		smsCode     = "775311"
	)
	var buf bytes.Buffer
	db := openStore(t)
	l := audit.New(audit.Options{Writer: &buf, Store: db, Now: func() time.Time { return t0 }})
	base := audit.Record{User: "alice", ClientAddr: "203.0.113.9", UserAgent: "Lync/15.0 (iPhone)", RequestID: "req-1",
		RelyingParty: "urn:adfs:example"}
	with := func(ev audit.Event, out audit.Outcome, reason, factor string, detail map[string]string) audit.Record {
		r := base
		r.Event, r.Outcome, r.Reason, r.Factor, r.Detail = ev, out, reason, factor, detail
		return r
	}
	recs := []audit.Record{
		with(audit.EventFirstFactorFailed, audit.OutcomeFailure, "bad_password", "", map[string]string{"password": password, "attempt": "1"}),
		with(audit.EventFirstFactorOK, audit.OutcomeSuccess, "", "", map[string]string{"Password": password, "method": "ldap"}),
		with(audit.EventSecondFactorFailed, audit.OutcomeFailure, "bad_code", "totp/phone", map[string]string{"code": code}),
		with(audit.EventSecondFactorOK, audit.OutcomeSuccess, "", "totp/phone", map[string]string{"otp": code, "step": "58379000"}),
		with(audit.EventEnrolment, audit.OutcomeSuccess, "", "totp/phone", map[string]string{"totp_secret": secret, "Seed": secret}),
		with(audit.EventSecondFactorOK, audit.OutcomeSuccess, "", "sms/mobile", map[string]string{"sms_code": smsCode}),
		with(audit.EventAppPasswordCreated, audit.OutcomeSuccess, "", "", map[string]string{"app_password": appPassword, "name": "iPhone Lync"}),
		with(audit.EventAppPasswordUsed, audit.OutcomeSuccess, "", "", map[string]string{"pwd": appPassword}),
		with(audit.EventTokenIssued, audit.OutcomeSuccess, "", "", map[string]string{"assertion_id": "_a1", "session_cookie": "sid-xyz"}),
		with(audit.EventSignOut, audit.OutcomeSuccess, "", "", nil),
	}
	for _, r := range recs {
		if err := l.Log(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	stored, err := db.ListAudit(ctx, store.AuditFilter{User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	storedJSON, _ := json.Marshal(stored)
	for name, out := range map[string][]byte{"log lines": buf.Bytes(), "store": storedJSON} {
		for _, s := range []string{password, appPassword, code, secret, smsCode, "sid-xyz"} {
			if bytes.Contains(out, []byte(s)) {
				t.Errorf("%s contain the secret %q", name, s)
			}
		}
		// The non-secret detail survives: the filter is not "drop everything".
		for _, s := range []string{"58379000", "iPhone Lync", "_a1", "ldap"} {
			if !bytes.Contains(out, []byte(s)) {
				t.Errorf("%s lost the non-secret detail %q", name, s)
			}
		}
	}
	if len(stored) != len(recs) || len(lines(t, buf.Bytes())) != len(recs) {
		t.Fatalf("stored %d, lines %d; want %d each", len(stored), len(lines(t, buf.Bytes())), len(recs))
	}
}

// TestRecordHasNoSecretField fails if someone adds a field that could carry a
// secret.
func TestRecordHasNoSecretField(t *testing.T) {
	rt := reflect.TypeOf(audit.Record{})
	for i := range rt.NumField() {
		name := strings.ToLower(rt.Field(i).Name + " " + rt.Field(i).Tag.Get("json"))
		for _, w := range []string{"pass", "secret", "code", "otp", "token", "key", "seed", "pin", "cookie"} {
			if strings.Contains(name, w) {
				t.Errorf("Record field %s looks like it could hold a secret (%q)", rt.Field(i).Name, w)
			}
		}
	}
}

func TestLogLineFields(t *testing.T) {
	var buf bytes.Buffer
	l := audit.New(audit.Options{Writer: &buf, Now: func() time.Time { return t0 }})
	long := strings.Repeat("é", 600)
	err := l.Log(context.Background(), audit.Record{Event: audit.EventLockout, Outcome: audit.OutcomeFailure, User: "alice",
		ClientAddr: "203.0.113.9", UserAgent: long, RequestID: "req-9", Reason: "locked_out", Detail: map[string]string{"scope": "pair"}})
	if err != nil {
		t.Fatal(err)
	}
	got := lines(t, buf.Bytes())
	if len(got) != 1 {
		t.Fatalf("%d lines", len(got))
	}
	m := got[0]
	want := map[string]any{"time": "2026-03-01T11:00:00Z", "event": "lockout", "outcome": "failure", "user": "alice",
		"client_addr": "203.0.113.9", "request_id": "req-9", "reason": "locked_out"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if _, ok := m["relying_party"]; ok {
		t.Error("empty fields should be omitted")
	}
	ua := m["user_agent"].(string)
	if len(ua) > 520 || !strings.HasSuffix(ua, "…") || !json.Valid([]byte(`"`+ua+`"`)) {
		t.Errorf("user agent not truncated cleanly: %d bytes", len(ua))
	}
	// An explicit time is kept (in UTC).
	buf.Reset()
	l.Log(context.Background(), audit.Record{Time: t0.Add(time.Hour), Event: audit.EventUnlock, Outcome: audit.OutcomeInfo})
	if m := lines(t, buf.Bytes())[0]; m["time"] != "2026-03-01T12:00:00Z" {
		t.Errorf("explicit time: %v", m["time"])
	}
}

func TestLoggerConcurrentLinesStayWhole(t *testing.T) {
	var buf syncBuffer
	l := audit.New(audit.Options{Writer: &buf})
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.Log(context.Background(), audit.Record{Event: audit.EventTokenIssued, Outcome: audit.OutcomeSuccess,
				User: strings.Repeat("u", i*10)})
		}()
	}
	wg.Wait()
	if n := len(lines(t, []byte(buf.String()))); n != 50 {
		t.Fatalf("%d whole lines, want 50", n)
	}
}

// TestSinkErrorsAreReported: a failing store (closed) and a failing writer
// (a closed file) are both reported, and the other sink still gets the record.
func TestSinkErrorsAreReported(t *testing.T) {
	db := openStore(t)
	db.Close()
	var buf bytes.Buffer
	err := audit.New(audit.Options{Writer: &buf, Store: db}).Log(context.Background(), audit.Record{Event: audit.EventSignOut})
	if err == nil || !strings.Contains(err.Error(), "append to store") || buf.Len() == 0 {
		t.Errorf("closed store: err=%v, line written=%v", err, buf.Len() > 0)
	}
	f, _ := os.Create(filepath.Join(t.TempDir(), "log"))
	f.Close()
	live := openStore(t)
	err = audit.New(audit.Options{Writer: f, Store: live}).Log(context.Background(), audit.Record{Event: audit.EventSignOut, User: "x"})
	if err == nil || !strings.Contains(err.Error(), "write line") {
		t.Errorf("closed writer: err=%v", err)
	}
	if got, _ := live.ListAudit(context.Background(), store.AuditFilter{User: "x"}); len(got) != 1 {
		t.Error("store did not get the record when the writer failed")
	}
}
