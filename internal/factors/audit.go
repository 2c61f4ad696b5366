package factors

import (
	"context"
	"log/slog"
	"strings"

	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/login"
)

// Auditor turns the flow's events into audit records.
type Auditor struct {
	Log    *audit.Logger
	Logger *slog.Logger // where a failed audit write is reported
}

var _ login.Auditor = (*Auditor)(nil)

// Audit records e. A failed write is logged; the sign-in goes on, since the
// JSON line has normally been written.
func (a *Auditor) Audit(ctx context.Context, e login.Event) {
	out := audit.OutcomeInfo
	switch {
	case e.Reason == "locked_out":
		out = audit.OutcomeDenied
	case strings.HasSuffix(e.Name, "_failed") || (e.Name == "enrolment" && e.Reason != ""):
		out = audit.OutcomeFailure
	case strings.HasSuffix(e.Name, "_ok") || e.Name == "token_issued" || e.Name == "enrolment":
		out = audit.OutcomeSuccess
	}
	err := a.Log.Log(ctx, audit.Record{Event: audit.Event(e.Name), Outcome: out, User: e.User, ClientAddr: e.ClientAddr,
		UserAgent: e.UserAgent, RequestID: e.RequestID, RelyingParty: e.RelyingParty, Reason: e.Reason, Factor: e.Factor})
	if err != nil && a.Logger != nil {
		a.Logger.Error("audit write failed", "err", err, "event", e.Name)
	}
}
