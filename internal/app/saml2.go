package app

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/login/saml2flow"
	"github.com/claimgate/claimgate/internal/metrics"
	"github.com/claimgate/claimgate/internal/rpsource"
	"github.com/claimgate/claimgate/internal/server"
	"github.com/claimgate/claimgate/sts/metadata"
	"github.com/claimgate/claimgate/sts/saml2"
)

// saml2Protocol is the SAML 2.0 adapter when saml2 is enabled, nil
// otherwise. It signs with the app's signer and key, the same as WS-Fed
// tokens and the metadata, and keeps used request IDs in the store, so a
// request is answered once across every instance sharing it. The SPs'
// metadata sources refresh until ctx ends; parties reports them on
// /healthz and in the metrics.
func saml2Protocol(ctx context.Context, cfg *config.Config, parties *registry, keys *certs.Set, s crypto.Signer, codes saml2flow.Codes, logger *slog.Logger, now func() time.Time) (login.Protocol, error) {
	if !cfg.SAML2.Enabled {
		return nil, nil
	}
	sps, err := saml2SPs(ctx, cfg, logger, now, nil)
	if err != nil {
		return nil, err
	}
	parties.sps = sps
	var key []byte
	if cfg.SAML2.PersistentIDKey.IsSet() {
		if key, err = cfg.SAML2.PersistentKey(); err != nil {
			return nil, &config.ValidationError{Problems: []config.Problem{{Path: "saml2.persistent_id_key", Message: err.Error()}}}
		}
	}
	idp, err := saml2.NewIdP(saml2.IdPConfig{EntityID: cfg.EntityID, Signer: s, Certificate: keys.Signing.Certificate,
		Lifetime: cfg.Token.Lifetime, NotBeforeSkew: cfg.Token.ClockSkew, Now: now, PersistentKey: key})
	if err != nil {
		return nil, err
	}
	return saml2flow.New(saml2flow.Options{
		SPs: sps, IdP: idp, SSOURL: cfg.SAML2SSOURL(), SLOURL: cfg.SAML2SLOURL(),
		RequireSignedRequests: cfg.SAML2.WantAuthnRequestsSigned, NameIDFormats: cfg.SAML2.NameIDFormats(),
		Replay: codes, Now: now, Logger: logger, RequestID: server.RequestID,
	})
}

// saml2Role is the IDPSSODescriptor published beside the WS-Fed role;
// nil (nothing published, the metadata unchanged) when saml2 is off.
func saml2Role(cfg *config.Config) *metadata.SAML2IdPRole {
	if !cfg.SAML2.Enabled {
		return nil
	}
	return &metadata.SAML2IdPRole{
		SSORedirect: cfg.SAML2SSOURL(), SSOPOST: cfg.SAML2SSOURL(),
		SLORedirect: cfg.SAML2SLOURL(), SLOPOST: cfg.SAML2SLOURL(),
		NameIDFormats: cfg.SAML2.NameIDFormats(), WantAuthnRequestsSigned: cfg.SAML2.WantAuthnRequestsSigned,
	}
}

// saml2SPs turns saml2.service_providers into the SP registry: by hand,
// or from metadata whose signature is checked against the pinned
// thumbprints, kept fresh by an rpsource.SPSource. A metadata file must
// give a usable SP now; a metadata URL that cannot be fetched is logged
// and its SP appears once a fetch succeeds (the last good copy in
// data_dir serves meanwhile), as for the relying parties. Every problem is
// reported at its path. client fetches the metadata URLs; nil is
// rpsource's default (system roots, https redirects only).
func saml2SPs(ctx context.Context, cfg *config.Config, log *slog.Logger, now func() time.Time, client *http.Client) (*spRegistry, error) {
	r := &spRegistry{now: now}
	var ps []config.Problem
	seen := map[string]int{}
	for i, c := range cfg.SAML2.ServiceProviders {
		p := fmt.Sprintf("saml2.service_providers[%d]", i)
		e := spEntry{name: c.Name}
		if c.Metadata == nil {
			sp, path, err := handSP(c, cfg)
			if err != nil {
				ps = append(ps, config.Problem{Path: p + path, Message: err.Error()})
				continue
			}
			e.static = sp
		} else {
			src := spSource(cfg, c, log, now)
			src.Client = client
			if err := src.Start(ctx); err != nil {
				path, msg, fatal := startProblem(c.Metadata, err)
				if fatal {
					ps = append(ps, config.Problem{Path: p + path, Message: msg})
					continue
				}
				log.Warn("SAML service provider metadata not available yet; retrying in the background",
					"service_provider", c.Name, "err", err)
			}
			e.src = src
		}
		if sp := e.current(r.clock()); sp != nil {
			if j, dup := seen[sp.EntityID]; dup {
				ps = append(ps, config.Problem{Path: p, Message: fmt.Sprintf("entity ID %s is also that of saml2.service_providers[%d]", sp.EntityID, j)})
				continue
			}
			seen[sp.EntityID] = i
		}
		r.entries = append(r.entries, e)
	}
	if len(ps) > 0 {
		return nil, &config.ValidationError{Problems: ps}
	}
	return r, nil
}

// handSP builds an SP configured by hand; path is where a failure
// belongs, below the SP's own.
func handSP(c config.ServiceProvider, cfg *config.Config) (*saml2.SP, string, error) {
	sp := &saml2.SP{EntityID: c.EntityID, ACS: []saml2.Endpoint{{Binding: saml2.BindingPOST, Location: c.ACSURL, IsDefault: true}}}
	if c.SLOURL != "" {
		sp.SLO = []saml2.Endpoint{{Binding: saml2.BindingPOST, Location: c.SLOURL}}
	}
	// The configuration allows plain http only on loopback (tests,
	// the demo); saml2 then has to be told so.
	sp.InsecureHTTP = loopbackHTTP(c.ACSURL) || loopbackHTTP(c.SLOURL)
	if c.SigningCert != "" {
		cert, err := certs.LoadCertificate(c.SigningCert)
		if err != nil {
			return nil, ".signing_cert", err
		}
		sp.SigningCerts = append(sp.SigningCerts, cert)
	}
	if err := configureSP(sp, c, cfg); err != nil {
		return nil, pathOf(err), err
	}
	return sp, "", nil
}

// spSource is the metadata source of c: a file re-read on every refresh
// (the file is its own last good copy), or a URL whose last good copy is
// kept in data_dir. Every document it accepts has the configuration's
// settings applied and is validated, so a refresh that would make the SP
// unusable keeps the last good one.
func spSource(cfg *config.Config, c config.ServiceProvider, log *slog.Logger, now func() time.Time) *rpsource.SPSource {
	m := c.Metadata
	src := &rpsource.SPSource{URL: m.URL, File: m.File, Pins: m.SigningThumbprints,
		InsecureAllowUnsigned: m.InsecureAllowUnsigned && len(m.SigningThumbprints) == 0,
		RefreshInterval:       m.RefreshInterval, Now: now, KeepEntityID: true, What: "SAML service provider metadata",
		Logger: log.With("service_provider", c.Name),
		Parse:  rpsource.SPParser(func(sp *saml2.SP) error { return configureSP(sp, c, cfg) })}
	if m.URL != "" {
		h := sha256.Sum256([]byte(m.URL))
		src.CachePath = filepath.Join(cfg.DataDir, "saml2-sp-metadata-"+hex.EncodeToString(h[:8])+".xml")
	}
	return src
}

// configureSP applies what the configuration decides over what the SP
// says of itself, then validates the result.
func configureSP(sp *saml2.SP, c config.ServiceProvider, cfg *config.Config) error {
	if c.EntityID != "" && c.EntityID != sp.EntityID {
		return spProblem{".entity_id", fmt.Errorf("is %s, but the metadata's entityID is %s", c.EntityID, sp.EntityID)}
	}
	sp.EncryptAssertions = c.Encryption
	// encryption_method overrides the metadata's list and the AD FS rule.
	if c.EncryptionMethod != "" {
		sp.EncryptionMethod = c.EncryptionMethod
	}
	if c.NameIDFormat != "" {
		sp.NameIDFormat = c.NameIDFormat
	}
	sp.SignResponse = c.SignResponse
	sp.AuthnRequestsSigned = sp.AuthnRequestsSigned || c.AuthnRequestsSigned || cfg.SAML2.WantAuthnRequestsSigned
	sp.SignatureAlgorithm = c.SignatureAlgorithm
	if err := sp.Validate(); err != nil {
		return spProblem{"", err}
	}
	return nil
}

// spProblem is a configureSP failure with the configuration path (below
// the SP's own) it belongs to.
type spProblem struct {
	path string
	err  error
}

func (e spProblem) Error() string { return e.err.Error() }
func (e spProblem) Unwrap() error { return e.err }

// pathOf is where err belongs below the SP's path.
func pathOf(err error) string {
	var p spProblem
	if errors.As(err, &p) {
		return p.path
	}
	return ""
}

// startProblem says whether a source that did not start stops the start
// (a metadata file that gives no usable SP, a configuration the metadata
// contradicts), and where. A metadata URL that cannot be fetched does not:
// the SP is missing until it answers.
func startProblem(m *config.SPMetadata, err error) (path, msg string, fatal bool) {
	msg = strings.TrimPrefix(err.Error(), rpsource.ErrNoMetadata.Error()+": ")
	var p spProblem
	switch {
	case errors.As(err, &p):
		return p.path, p.Error(), true
	case !errors.Is(err, rpsource.ErrNoMetadata):
		return ".metadata", msg, true
	case m.File != "":
		return ".metadata.file", msg, true
	}
	return "", msg, false
}

// spRegistry is the SAML 2.0 service providers in configuration order. It
// is read on every request, so a refreshed metadata document takes effect
// without a restart.
type spRegistry struct {
	entries []spEntry
	// now judges the metadata's validUntil (nil: time.Now).
	now func() time.Time
}

// spEntry is one SP: static (by hand) or src (from metadata).
type spEntry struct {
	name   string
	static *saml2.SP
	src    *rpsource.SPSource
}

var _ saml2.SPs = (*spRegistry)(nil)

// current is the SP in use at now, nil while its metadata has never
// loaded or once the copy kept is past its validUntil: the last good copy
// bridges a failed refresh, not an expiry its publisher set.
func (e spEntry) current(now time.Time) *saml2.SP {
	if e.src != nil {
		if sp := e.src.Current(); sp != nil && !sp.Expired(now) {
			return sp
		}
		return nil
	}
	return e.static
}

func (r *spRegistry) clock() time.Time {
	if r.now != nil {
		return r.now()
	}
	return time.Now()
}

// SP finds the SP with exactly this entity ID. Two SPs with one entity ID
// (possible only when metadata that could not be fetched at start later
// names another SP's entity) are ambiguous: neither is answered, and
// /healthz says so.
func (r *spRegistry) SP(entityID string) (*saml2.SP, bool) {
	var found *saml2.SP
	now := r.clock()
	for _, e := range r.entries {
		if sp := e.current(now); sp != nil && sp.EntityID == entityID {
			if found != nil {
				return nil, false
			}
			found = sp
		}
	}
	if found == nil {
		return nil, false
	}
	sp := *found // the source's copy is shared
	return &sp, true
}

// health reports each SP metadata source, as registry.health does for the
// relying parties; it is unhealthy while a source has never produced a
// usable SP or two SPs share an entity ID.
func (r *spRegistry) health() (bool, []string) {
	ok := true
	static := 0
	var lines []string
	owner := map[string]string{}
	now := r.clock()
	for _, e := range r.entries {
		if sp := e.current(now); sp != nil {
			if o, dup := owner[sp.EntityID]; dup {
				ok = false
				lines = append(lines, fmt.Sprintf("service providers %q and %q both have entity ID %s: NEITHER IS ANSWERED", o, e.name, sp.EntityID))
			}
			owner[sp.EntityID] = e.name
		}
		if e.src == nil {
			static++
			continue
		}
		st := e.src.Status()
		line := fmt.Sprintf("service provider %q metadata %s: ", e.name, st.Source)
		switch {
		case !e.src.Usable():
			ok = false
			line += "NO USABLE METADATA: " + st.LastError
		case e.current(now) == nil:
			ok = false
			line += fmt.Sprintf("EXPIRED (validUntil %s), NOT ANSWERED; last error: %s", e.src.Current().ValidUntil.UTC().Format(time.RFC3339), st.LastError)
		case st.LastError != "":
			line += fmt.Sprintf("STALE, last good %s (from cache: %v), last error: %s", st.LastSuccess.UTC().Format(time.RFC3339), st.FromCache, st.LastError)
		default:
			line += fmt.Sprintf("ok, %s, refreshed %s", st.EntityID, st.LastSuccess.UTC().Format(time.RFC3339))
		}
		lines = append(lines, line)
	}
	return ok, append([]string{fmt.Sprintf("SAML service providers configured by hand: %d", static)}, lines...)
}

// metadataMetrics are the SPs' metadata sources for the
// claimgate_rp_metadata_* gauges, labelled "saml2:" + the SP's name so
// that they never collide with a relying party's. A nil registry (saml2
// off) has none.
func (r *spRegistry) metadataMetrics() []metrics.RelyingPartyMetadata {
	if r == nil {
		return nil
	}
	var out []metrics.RelyingPartyMetadata
	for _, e := range r.entries {
		if e.src != nil {
			out = append(out, metrics.RelyingPartyMetadata{Name: "saml2:" + e.name, Usable: e.src.Usable(), LastSuccess: e.src.Status().LastSuccess})
		}
	}
	return out
}

// loopbackHTTP reports whether u is a plain-http URL on a loopback host.
func loopbackHTTP(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "http" {
		return false
	}
	if p.Hostname() == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(p.Hostname())
	return err == nil && a.IsLoopback()
}
