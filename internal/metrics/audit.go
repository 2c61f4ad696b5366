package metrics

import (
	"context"

	"github.com/claimgate/claimgate/internal/audit"
)

// Audit returns an audit.Appender that counts each record and then hands
// it to next (nil: count only). Give it to the audit.Logger as its Store,
// so that every record the logger writes is counted exactly once, whether
// or not the audit trail is kept in the store.
//
// party maps a record's relying party (the realm) to its label: the
// configured name of that relying party, or Other for a realm no longer
// configured; nil labels every relying party Other. On a nil Metrics,
// Audit returns next.
func (m *Metrics) Audit(next audit.Appender, party func(realm string) string) audit.Appender {
	if m == nil {
		return next
	}
	return &auditCounter{m: m, next: next, party: party}
}

type auditCounter struct {
	m     *Metrics
	next  audit.Appender
	party func(string) string
}

var _ audit.Appender = (*auditCounter)(nil)

// AppendAudit counts rec, then appends it to next. A record is counted
// even when next fails to keep it: the event happened, and the JSON line
// has normally been written.
func (a *auditCounter) AppendAudit(ctx context.Context, rec audit.Record) error {
	a.m.count(rec, a.party)
	if a.next == nil {
		return nil
	}
	return a.next.AppendAudit(ctx, rec)
}

// count updates the counters for one audit record.
func (m *Metrics) count(rec audit.Record, party func(string) string) {
	outcome := oneOf(string(rec.Outcome), knownOutcomes)
	m.events.WithLabelValues(oneOf(string(rec.Event), knownEvents), outcome).Inc()
	factor := ""
	switch rec.Event {
	case audit.EventFirstFactorOK, audit.EventFirstFactorFailed:
		factor = firstFactor(rec.Factor)
	case audit.EventSecondFactorOK, audit.EventSecondFactorFailed:
		factor = secondFactor(rec.Factor)
	case audit.EventTokenIssued:
		rp := Other
		if party != nil && rec.RelyingParty != "" {
			rp = party(rec.RelyingParty)
		}
		m.tokens.WithLabelValues(rp, factorsUsed(rec.Factor)).Inc()
	case audit.EventLockout:
		m.lockouts.WithLabelValues(oneOf(rec.Reason, knownScopes)).Inc()
	}
	if factor == "" {
		return
	}
	m.signins.WithLabelValues(factor, outcome).Inc()
	if rec.Outcome != audit.OutcomeSuccess {
		reason := rec.Reason
		if reason == "" {
			reason = Other
		}
		m.failures.WithLabelValues(factor, oneOf(reason, knownReasons)).Inc()
	}
}
