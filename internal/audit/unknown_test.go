package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/store"
)

// TestUnknownUserNameIsNeverRecorded: a user name that matched no account
// (it may be a password typed into the wrong field) reaches neither the
// JSON line nor the stored record; a keyed token stands in for it, equal for
// equal names (folded like the directory folds them), different for other
// names and under another key. A known user's failure keeps the real name.
func TestUnknownUserNameIsNeverRecorded(t *testing.T) {
	ctx := context.Background()
	const typed = "Tr0ub4dor-3-typed-as-name" // nothing JSON would escape
	keyA, keyB := bytes.Repeat([]byte{0xA}, 32), bytes.Repeat([]byte{0xB}, 32)
	var buf syncBuffer
	db := openStore(t)
	logA := audit.New(audit.Options{Writer: &buf, Store: db, Now: func() time.Time { return t0 }, UnknownUserKey: keyA})
	logB := audit.New(audit.Options{UnknownUserKey: keyB, Store: db, Now: func() time.Time { return t0 }})
	unknown := func(l *audit.Logger, name string) {
		t.Helper()
		if err := l.Log(ctx, audit.Record{Event: audit.EventFirstFactorFailed, Outcome: audit.OutcomeFailure, User: name, Reason: audit.ReasonUnknownUser}); err != nil {
			t.Fatal(err)
		}
	}
	unknown(logA, typed)
	unknown(logA, " "+strings.ToUpper(typed)+" ")
	unknown(logA, "mallory")
	unknown(logB, typed)
	if err := logA.Log(ctx, audit.Record{Event: audit.EventFirstFactorFailed, Outcome: audit.OutcomeFailure, User: "alice", Reason: "bad_password"}); err != nil {
		t.Fatal(err)
	}
	recs, err := db.ListAudit(ctx, store.AuditFilter{})
	if err != nil || len(recs) != 5 {
		t.Fatalf("%d stored records, %v; want 5", len(recs), err)
	}
	stored, _ := json.Marshal(recs)
	if low := strings.ToLower(buf.String() + string(stored)); strings.Contains(low, strings.ToLower(typed)) {
		t.Fatalf("a name that matched no account was recorded:\n%s", low)
	}
	if strings.Contains(buf.String()+string(stored), "mallory") {
		t.Fatal("the name mallory, which matched no account, was recorded")
	}
	token := regexp.MustCompile(`^unknown:[0-9a-f]{16}$`)
	for _, r := range recs[:4] {
		if !token.MatchString(r.User) {
			t.Errorf("unknown user recorded as %q, want unknown:<16 hex digits>", r.User)
		}
	}
	if recs[0].User != recs[1].User {
		t.Errorf("one name, two tokens: %q, %q", recs[0].User, recs[1].User)
	}
	if recs[0].User == recs[2].User {
		t.Errorf("two names, one token %q", recs[0].User)
	}
	if recs[0].User == recs[3].User {
		t.Errorf("two keys, one token %q", recs[0].User)
	}
	if recs[4].User != "alice" {
		t.Errorf("a known user's failure recorded as %q, want alice", recs[4].User)
	}
	lines := lines(t, []byte(buf.String()))
	if len(lines) != 4 || lines[0]["user"] != recs[0].User || lines[3]["user"] != "alice" {
		t.Errorf("the JSON lines do not carry the stored users: %v", lines)
	}
}

// TestUnknownUserWithoutKey: with no key configured the name is still
// replaced (by a token under a random key).
func TestUnknownUserWithoutKey(t *testing.T) {
	var buf syncBuffer
	l := audit.New(audit.Options{Writer: &buf})
	if err := l.Log(context.Background(), audit.Record{Event: audit.EventFirstFactorFailed, User: "hunter2", Reason: audit.ReasonUnknownUser}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "hunter2") || !strings.Contains(buf.String(), `"user":"unknown:`) {
		t.Errorf("line %s", buf.String())
	}
}
