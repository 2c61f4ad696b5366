package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// State is what one running configuration reports, read at every scrape.
type State struct {
	// Certificates are the token-signing certificates: the one that signs
	// and the others the metadata publishes.
	Certificates []Certificate
	// RelyingParties are the relying parties whose AD FS metadata claimgate
	// reads (relying_parties[].metadata); those configured by hand have no
	// metadata to refresh and are not listed.
	RelyingParties []RelyingPartyMetadata
	// Directory is the last readiness probe of Active Directory.
	Directory DirectoryState
}

// Roles of a certificate.
const (
	RoleSigning   = "signing"
	RolePublished = "published"
)

// Certificate is one token-signing certificate.
type Certificate struct {
	Thumbprint string // SHA-1, upper-case hex, as AD FS shows it
	Role       string // RoleSigning or RolePublished
	NotAfter   time.Time
}

// RelyingPartyMetadata is one metadata source.
type RelyingPartyMetadata struct {
	Name        string    // relying_parties[].name
	Usable      bool      // a verified copy is in use
	LastSuccess time.Time // the last fetch or read that verified; zero: never
}

// DirectoryState is the readiness probe's view of Active Directory.
type DirectoryState struct {
	// Probed: the directory is Active Directory and a probe has finished
	// (the users file has nothing to probe).
	Probed bool
	// Up: the last probe could do the reads every sign-in makes.
	Up bool
}

// publication is one published State source.
type publication struct{ state func() State }

// Publish makes state the source of the per-configuration metrics until
// the returned function withdraws it. The newest publication still in
// force is the one reported: a reload publishes the new configuration
// before the old one is withdrawn, and if the new one is withdrawn first
// (it never went into service) the old one is reported again. state is
// called at every scrape and must be cheap and safe for concurrent use.
// On a nil Metrics, Publish does nothing.
func (m *Metrics) Publish(state func() State) (withdraw func()) {
	if m == nil {
		return func() {}
	}
	p := &publication{state: state}
	m.mu.Lock()
	m.published = append(m.published, p)
	m.mu.Unlock()
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		for i, q := range m.published {
			if q == p {
				m.published = append(m.published[:i:i], m.published[i+1:]...)
				return
			}
		}
	}
}

// current is the State to report, false when nothing is published.
func (m *Metrics) current() (State, bool) {
	m.mu.Lock()
	var p *publication
	if n := len(m.published); n > 0 {
		p = m.published[n-1]
	}
	m.mu.Unlock()
	if p == nil {
		return State{}, false
	}
	return p.state(), true
}

var (
	certExpiryDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "", "signing_certificate_expiry_timestamp_seconds"),
		"When a token-signing certificate expires (its NotAfter), as a Unix time; role is signing or published.",
		[]string{"thumbprint", "role"}, nil)
	metadataSuccessDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "", "rp_metadata_last_success_timestamp_seconds"),
		"When a relying party's AD FS metadata was last fetched (or read) and verified, as a Unix time; absent until it first was.",
		[]string{"relying_party"}, nil)
	metadataUsableDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "", "rp_metadata_usable"),
		"1 when claimgate holds a verified copy of a relying party's AD FS metadata (sign-in to it works), else 0.",
		[]string{"relying_party"}, nil)
	directoryUpDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "", "directory_up"),
		"1 when the last readiness probe of Active Directory could do the reads every sign-in makes, else 0; absent with a users file.",
		nil, nil)
)

// stateCollector reports the current State as constant metrics, so a
// series vanishes with the configuration that had it.
type stateCollector struct{ m *Metrics }

func (c stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- certExpiryDesc
	ch <- metadataSuccessDesc
	ch <- metadataUsableDesc
	ch <- directoryUpDesc
}

func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	s, ok := c.m.current()
	if !ok {
		return
	}
	// A certificate listed twice (signing and also published) is one
	// series; a duplicate would fail the whole scrape.
	roles := map[string]Certificate{}
	var order []string
	for _, cert := range s.Certificates {
		prev, seen := roles[cert.Thumbprint]
		if !seen {
			order = append(order, cert.Thumbprint)
		}
		if !seen || (cert.Role == RoleSigning && prev.Role != RoleSigning) {
			roles[cert.Thumbprint] = cert
		}
	}
	for _, tp := range order {
		cert := roles[tp]
		role := RolePublished
		if cert.Role == RoleSigning {
			role = RoleSigning
		}
		ch <- prometheus.MustNewConstMetric(certExpiryDesc, prometheus.GaugeValue, unix(cert.NotAfter), tp, role)
	}
	seen := map[string]bool{}
	for _, rp := range s.RelyingParties {
		if seen[rp.Name] {
			continue
		}
		seen[rp.Name] = true
		ch <- prometheus.MustNewConstMetric(metadataUsableDesc, prometheus.GaugeValue, boolValue(rp.Usable), rp.Name)
		if !rp.LastSuccess.IsZero() {
			ch <- prometheus.MustNewConstMetric(metadataSuccessDesc, prometheus.GaugeValue, unix(rp.LastSuccess), rp.Name)
		}
	}
	if s.Directory.Probed {
		ch <- prometheus.MustNewConstMetric(directoryUpDesc, prometheus.GaugeValue, boolValue(s.Directory.Up))
	}
}

// unix is t as fractional Unix seconds.
func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
