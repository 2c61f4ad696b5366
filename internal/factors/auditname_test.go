package factors

import (
	"context"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/testutil"
)

// TestAuditorHidesUnknownUserNames: the event the sign-in flow sends for a
// name the directory did not know (claims.ReasonUnknownUser) is recorded
// without that name, while a wrong password for a real account keeps it.
// It also pins the audit layer's reason to the directories' one: if they
// drifted apart, names would be recorded again.
func TestAuditorHidesUnknownUserNames(t *testing.T) {
	if audit.ReasonUnknownUser != string(claims.ReasonUnknownUser) {
		t.Fatalf("audit.ReasonUnknownUser %q, claims.ReasonUnknownUser %q", audit.ReasonUnknownUser, claims.ReasonUnknownUser)
	}
	var buf testutil.SyncBuffer
	a := &Auditor{Log: audit.New(audit.Options{Writer: &buf, UnknownUserKey: make([]byte, 32)})}
	ctx := context.Background()
	a.Audit(ctx, login.Event{Name: "first_factor_failed", User: "s3cret-typed-as-name", Reason: string(claims.ReasonUnknownUser)})
	a.Audit(ctx, login.Event{Name: "first_factor_failed", User: "alice", Reason: string(claims.ReasonBadPassword)})
	out := buf.String()
	if strings.Contains(out, "s3cret") || !strings.Contains(out, `"user":"unknown:`) || !strings.Contains(out, `"user":"alice"`) {
		t.Errorf("audit lines:\n%s", out)
	}
}
