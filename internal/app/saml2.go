package app

import (
	"crypto"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"time"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/login/saml2flow"
	"github.com/claimgate/claimgate/internal/server"
	"github.com/claimgate/claimgate/sts/adfsmeta"
	"github.com/claimgate/claimgate/sts/metadata"
	"github.com/claimgate/claimgate/sts/saml2"
)

// saml2Protocol is the SAML 2.0 adapter when saml2 is enabled, nil
// otherwise. It signs with the app's signer and key, the same as WS-Fed
// tokens and the metadata, and keeps used request IDs in the store, so a
// request is answered once across every instance sharing it.
func saml2Protocol(cfg *config.Config, keys *certs.Set, s crypto.Signer, codes saml2flow.Codes, logger *slog.Logger, now func() time.Time) (login.Protocol, error) {
	if !cfg.SAML2.Enabled {
		return nil, nil
	}
	sps, err := saml2SPs(cfg, now)
	if err != nil {
		return nil, err
	}
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

// saml2SPs turns saml2.service_providers into SPs: by hand, or read from
// a metadata file whose signature is checked against the pinned
// thumbprints. Every problem is reported at its path.
func saml2SPs(cfg *config.Config, now func() time.Time) (saml2.SPList, error) {
	var out saml2.SPList
	var ps []config.Problem
	seen := map[string]int{}
	for i, c := range cfg.SAML2.ServiceProviders {
		p := fmt.Sprintf("saml2.service_providers[%d]", i)
		sp, path, err := serviceProvider(c, now)
		if err != nil {
			ps = append(ps, config.Problem{Path: p + path, Message: err.Error()})
			continue
		}
		sp.EncryptAssertions = c.Encryption
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
			ps = append(ps, config.Problem{Path: p, Message: err.Error()})
			continue
		}
		if j, dup := seen[sp.EntityID]; dup {
			ps = append(ps, config.Problem{Path: p, Message: fmt.Sprintf("entity ID %s is also that of saml2.service_providers[%d]", sp.EntityID, j)})
			continue
		}
		seen[sp.EntityID] = i
		out = append(out, *sp)
	}
	if len(ps) > 0 {
		return nil, &config.ValidationError{Problems: ps}
	}
	return out, nil
}

// serviceProvider reads one SP; path is where a failure belongs, below
// the SP's own.
func serviceProvider(c config.ServiceProvider, now func() time.Time) (*saml2.SP, string, error) {
	m := c.Metadata
	if m == nil {
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
		return sp, "", nil
	}
	doc, err := os.ReadFile(m.File)
	if err != nil {
		return nil, ".metadata.file", err
	}
	opts := saml2.MetadataOptions{InsecureAllowUnsigned: m.InsecureAllowUnsigned && len(m.SigningThumbprints) == 0, Now: now}
	if len(m.SigningThumbprints) > 0 {
		// adfsmeta checks the signature against the pins (as for the
		// WS-Fed relying parties' metadata); SPFromMetadata then trusts
		// exactly the certificate that passed.
		md, err := adfsmeta.Parse(doc, adfsmeta.Options{PinnedThumbprints: m.SigningThumbprints, Now: now})
		if err != nil {
			return nil, ".metadata.file", err
		}
		opts.TrustedCerts = append(opts.TrustedCerts, md.SignedBy)
	}
	sp, err := saml2.SPFromMetadata(doc, opts)
	if err != nil {
		return nil, ".metadata.file", err
	}
	if c.EntityID != "" && c.EntityID != sp.EntityID {
		return nil, ".entity_id", fmt.Errorf("is %s, but the metadata's entityID is %s", c.EntityID, sp.EntityID)
	}
	return sp, "", nil
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
