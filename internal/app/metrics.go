package app

import (
	"time"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/metrics"
	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/ldapsource"
)

// The metrics observer fits ldapsource's hook.
var _ ldapsource.Observer = (*metrics.DirectoryObserver)(nil)

// appMetrics connects one App to the process's metrics (Options.Metrics),
// which outlive it: counters and histograms keep counting across reloads,
// while what describes this configuration (certificates, metadata
// sources, the directory probe) is published while the App is open. A nil
// *appMetrics means metrics are off; every method then returns its input
// or nothing.
type appMetrics struct {
	m   *metrics.Metrics
	cfg *config.Config
	// parties is set by publish, before the handler serves a request, so
	// the first audit record already finds it.
	parties *registry
}

func newAppMetrics(m *metrics.Metrics, cfg *config.Config) *appMetrics {
	if m == nil {
		return nil
	}
	return &appMetrics{m: m, cfg: cfg}
}

// wrapStore times every store operation.
func (x *appMetrics) wrapStore(s store.Store) store.Store {
	if x == nil {
		return s
	}
	return x.m.Store(s)
}

// ldapObserver is the directory's request observer; a nil interface when
// metrics are off (never a typed nil).
func (x *appMetrics) ldapObserver() ldapsource.Observer {
	if x == nil {
		return nil
	}
	return x.m.Directory()
}

// auditSink puts the counters in front of the audit logger's store sink,
// so every audit record is counted once.
func (x *appMetrics) auditSink(next audit.Appender) audit.Appender {
	if x == nil {
		return next
	}
	return x.m.Audit(next, x.partyName)
}

// observeHTTP is server.Options.Observe; nil when metrics are off, so the
// router installs no middleware for it.
func (x *appMetrics) observeHTTP() func(route, method string, status int, d time.Duration) {
	if x == nil {
		return nil
	}
	return x.m.ObserveHTTP
}

// newSessionRefused is login.StartBudgetOptions.OnRefused; nil when
// metrics are off.
func (x *appMetrics) newSessionRefused() func(budget string) {
	if x == nil {
		return nil
	}
	return x.m.NewSessionRefused
}

// partyName labels a realm with the configured name of its relying
// party: a finite set, stable across metadata refreshes. A realm no
// relying party has (any more) is metrics.Other.
func (x *appMetrics) partyName(realm string) string {
	for _, p := range x.cfg.RelyingParties {
		if p.Metadata == nil && p.Identifier == realm {
			return p.Name
		}
	}
	if x.parties != nil {
		for _, s := range x.parties.sourced {
			if rp, ok := s.party(); ok && rp.Identifier == realm {
				return s.cfg.Name
			}
		}
	}
	return metrics.Other
}

// publish reports a's certificates, metadata sources and directory probe
// until the function returned (a closer of a) runs.
func (x *appMetrics) publish(a *App, parties *registry) func() error {
	if x == nil {
		return func() error { return nil }
	}
	x.parties = parties
	withdraw := x.m.Publish(func() metrics.State { return a.metricsState(parties) })
	return func() error { withdraw(); return nil }
}

// metricsState is what a reports at a scrape.
func (a *App) metricsState(parties *registry) metrics.State {
	var s metrics.State
	if c := a.Keys.Signing.Certificate; c != nil {
		s.Certificates = append(s.Certificates, metrics.Certificate{Thumbprint: certs.ThumbprintSHA1(c), Role: metrics.RoleSigning, NotAfter: c.NotAfter})
	}
	for _, c := range a.Keys.Published {
		s.Certificates = append(s.Certificates, metrics.Certificate{Thumbprint: certs.ThumbprintSHA1(c), Role: metrics.RolePublished, NotAfter: c.NotAfter})
	}
	for _, p := range parties.sourced {
		s.RelyingParties = append(s.RelyingParties, metrics.RelyingPartyMetadata{
			Name: p.cfg.Name, Usable: p.src.Current() != nil, LastSuccess: p.src.Status().LastSuccess})
	}
	s.RelyingParties = append(s.RelyingParties, parties.sps.metadataMetrics()...)
	if r := a.ready; r != nil && r.dir != nil {
		r.mu.Lock()
		last := r.last
		r.mu.Unlock()
		s.Directory = metrics.DirectoryState{Probed: last.done, Up: last.ok}
	}
	return s
}
