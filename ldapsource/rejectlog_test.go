package ldapsource

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/claims"
)

// TestRejectedLogOmitsUnknownNames: the log line of a refusal names the
// account, except when the name matched none: that may be a password typed
// into the name field.
func TestRejectedLogOmitsUnknownNames(t *testing.T) {
	var buf bytes.Buffer
	d := &Directory{log: slog.New(slog.NewTextHandler(&buf, nil))}
	_ = d.rejected("S3cret-typed-as-name", claims.Rejected(claims.ReasonUnknownUser, "no matching entry"))
	_ = d.rejected("alice", claims.Rejected(claims.ReasonBadPassword, "52e"))
	out := buf.String()
	if strings.Contains(out, "S3cret") || !strings.Contains(out, "user=[unknown] reason=unknown_user") || !strings.Contains(out, "user=alice reason=bad_password") {
		t.Errorf("log:\n%s", out)
	}
}
