package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/rpsource"
	"github.com/claimgate/claimgate/sts/wsfed"
)

// registry is the set of relying parties: those written in the
// configuration, and those whose identifier and reply URL come from AD FS
// metadata that a Source keeps fresh. It is read on every request, so a
// refreshed metadata document takes effect without a restart.
type registry struct {
	static  wsfed.PartyList
	sourced []sourcedParty
	// sps are the SAML 2.0 service providers (nil when saml2 is off),
	// set by saml2Protocol; they are here only for health and metrics.
	sps *spRegistry
}

type sourcedParty struct {
	cfg config.RelyingParty
	src *rpsource.Source
}

var _ wsfed.Parties = (*registry)(nil)

// party resolves a metadata-sourced party: identifier and reply URL from
// the configuration win over the metadata's, as documented.
func (p sourcedParty) party() (wsfed.RelyingParty, bool) {
	md := p.src.Current()
	if md == nil {
		return wsfed.RelyingParty{}, false
	}
	rp := wsfed.RelyingParty{Identifier: p.cfg.Identifier, ReplyURL: p.cfg.ReplyURL,
		SignatureAlgorithm: p.cfg.SignatureAlgorithm, TokenLifetime: p.cfg.TokenLifetime}
	if rp.Identifier == "" {
		rp.Identifier = md.EntityID
	}
	if rp.ReplyURL == "" {
		rp.ReplyURL = md.PassiveEndpoint
	}
	return rp, rp.Identifier != "" && rp.ReplyURL != ""
}

// all lists every party known now.
func (r *registry) all() wsfed.PartyList {
	out := append(wsfed.PartyList(nil), r.static...)
	for _, s := range r.sourced {
		if p, ok := s.party(); ok {
			out = append(out, p)
		}
	}
	return out
}

// Party finds a party by its exact identifier.
func (r *registry) Party(identifier string) (*wsfed.RelyingParty, bool) {
	return r.all().Party(identifier)
}

// PartyForReply lets a sign-out wreply that equals a reply URL be followed.
func (r *registry) PartyForReply(reply string) (*wsfed.RelyingParty, bool) {
	return r.all().PartyForReply(reply)
}

// ReplyURLs are where tokens may be posted (for the CSP form-action).
func (r *registry) ReplyURLs() []string {
	var out []string
	for _, p := range r.all() {
		out = append(out, p.ReplyURL)
	}
	return out
}

// health reports each metadata source; it is unhealthy while a source has
// never produced a usable document.
func (r *registry) health() (bool, string) {
	ok := true
	lines := []string{fmt.Sprintf("relying parties configured by hand: %d", len(r.static))}
	for _, s := range r.sourced {
		st := s.src.Status()
		line := fmt.Sprintf("relying party %q metadata %s: ", s.cfg.Name, st.Source)
		switch {
		case s.src.Current() == nil:
			ok = false
			line += "NO USABLE METADATA: " + st.LastError
		case st.LastError != "":
			line += fmt.Sprintf("STALE, last good %s (from cache: %v), last error: %s", st.LastSuccess.UTC().Format(time.RFC3339), st.FromCache, st.LastError)
		default:
			line += fmt.Sprintf("ok, %s, refreshed %s", st.EntityID, st.LastSuccess.UTC().Format(time.RFC3339))
		}
		lines = append(lines, line)
	}
	if r.sps != nil {
		spOK, spLines := r.sps.health()
		ok = ok && spOK
		lines = append(lines, spLines...)
	}
	return ok, strings.Join(lines, "\n")
}

// newRegistry builds the parties and starts the metadata sources; they
// refresh until ctx ends. A source with no usable copy yet is logged, not
// fatal: AD FS may be down while claimgate starts, and its party appears
// as soon as a fetch succeeds.
func newRegistry(ctx context.Context, cfg *config.Config, log *slog.Logger) (*registry, error) {
	r := &registry{}
	for i, p := range cfg.RelyingParties {
		if p.Metadata == nil {
			r.static = append(r.static, wsfed.RelyingParty{Identifier: p.Identifier, ReplyURL: p.ReplyURL,
				SignatureAlgorithm: p.SignatureAlgorithm, TokenLifetime: p.TokenLifetime})
			continue
		}
		m := p.Metadata
		src := &rpsource.Source{URL: m.URL, File: m.File, Pins: m.SigningThumbprints, RefreshInterval: m.RefreshInterval,
			CachePath: filepath.Join(cfg.DataDir, cacheName(m)), Logger: log}
		if err := src.Start(ctx); err != nil {
			if !errors.Is(err, rpsource.ErrNoMetadata) {
				return nil, fmt.Errorf("relying_parties[%d].metadata: %w", i, err)
			}
			log.Warn("relying party metadata not available yet; retrying in the background", "relying_party", p.Name, "err", err)
		}
		r.sourced = append(r.sourced, sourcedParty{cfg: p, src: src})
	}
	return r, nil
}

// cacheName names the persisted last good copy after its source, so
// reordering the configuration never hands one party another's copy.
func cacheName(m *config.RPMetadata) string {
	h := sha256.Sum256([]byte(m.URL + "\x00" + m.File))
	return "adfs-metadata-" + hex.EncodeToString(h[:8]) + ".xml"
}
