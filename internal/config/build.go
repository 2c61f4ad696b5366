package config

import (
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/claimgate/claimgate/claims"
)

// builder turns the file layer into a Config: it parses durations,
// networks and URLs, resolves secrets and relative paths, and applies the
// defaults. What cannot be parsed becomes a problem at its path and leaves
// the zero value; rules between values are Validate's job.
type builder struct {
	env     func(string) string
	baseDir string
	probs   problems
}

func (b *builder) build(f *fileConfig) *Config {
	c := &Config{EntityID: f.EntityID}
	if f.BaseURL != "" {
		u, err := url.Parse(f.BaseURL)
		if err != nil {
			b.probs.add("base_url", "not a URL: %v", urlErr(err))
		} else {
			u.Path = strings.TrimSuffix(u.Path, "/")
			c.BaseURL = u
		}
	}
	c.DataDir = b.path(or(f.DataDir, DefaultDataDir))
	b.server(f, c)
	b.signing(f, c)
	c.Token = Token{
		Lifetime:  b.dur("token.lifetime", f.Token.Lifetime, DefaultTokenLifetime),
		ClockSkew: b.dur("token.clock_skew", f.Token.ClockSkew, DefaultClockSkew),
	}
	for i, rp := range f.RelyingParties {
		c.RelyingParties = append(c.RelyingParties, b.relyingParty(index("relying_parties", i), rp, c))
	}
	b.saml2(f, c)
	if f.Claims.Issue == nil {
		c.Claims.Issue = claims.DefaultTypes()
	}
	for i, n := range f.Claims.Issue {
		c.Claims.Issue = append(c.Claims.Issue, b.claimType(index("claims.issue", i), n))
	}
	b.claimValues(f, c)
	b.directory(f, c)
	b.mfa(f, c)
	b.sms(f, c)
	b.lockout(f, c)
	b.store(f, c)
	c.Audit = Audit{Log: or(f.Audit.Log, DefaultAuditLog), Store: boolOr(f.Audit.Store, true),
		Retention: b.dur("audit.retention", f.Audit.Retention, DefaultAuditRetention)}
	if !isStream(c.Audit.Log) {
		c.Audit.Log = b.path(c.Audit.Log)
	}
	c.Branding = Branding{
		ProductName:  or(f.Branding.ProductName, DefaultProductName),
		LogoFile:     b.path(f.Branding.LogoFile),
		PrimaryColor: or(f.Branding.PrimaryColor, DefaultPrimaryColor),
		TemplateDir:  b.path(f.Branding.TemplateDir),
		Language:     or(f.Branding.Language, DefaultLanguage),
	}
	if c.MFA.TOTP.IssuerName == "" {
		c.MFA.TOTP.IssuerName = c.Branding.ProductName
	}
	c.Logging = Logging{Level: or(f.Logging.Level, DefaultLogLevel), Format: or(f.Logging.Format, DefaultLogFormat)}
	b.metrics(f, c)
	c.ADFS = ADFS{
		ClaimsProviderName:            or(f.ADFS.ClaimsProviderName, c.Branding.ProductName),
		OrganizationalAccountSuffixes: f.ADFS.OrganizationalAccountSuffixes,
		RelyingPartyTrusts:            f.ADFS.RelyingPartyTrusts,
	}
	return c
}

func (b *builder) server(f *fileConfig, c *Config) {
	s := f.Server
	c.Server = Server{
		Listen:            or(s.Listen, DefaultListen),
		InsecureHTTP:      s.InsecureHTTP,
		TrustedProxies:    b.prefixes("server.trusted_proxies", s.TrustedProxies),
		ReadTimeout:       b.dur("server.read_timeout", s.ReadTimeout, DefaultReadTimeout),
		ReadHeaderTimeout: b.dur("server.read_header_timeout", s.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		WriteTimeout:      b.dur("server.write_timeout", s.WriteTimeout, DefaultWriteTimeout),
		IdleTimeout:       b.dur("server.idle_timeout", s.IdleTimeout, DefaultIdleTimeout),
		ShutdownTimeout:   b.dur("server.shutdown_timeout", s.ShutdownTimeout, DefaultShutdownTimeout),
		MaxHeaderBytes:    intOr(s.MaxHeaderBytes, DefaultMaxHeaderBytes),
		Session: Session{
			CookieName:  or(s.Session.CookieName, DefaultCookieName),
			Lifetime:    b.dur("server.session.lifetime", s.Session.Lifetime, DefaultSessionLifetime),
			IdleTimeout: b.dur("server.session.idle_timeout", s.Session.IdleTimeout, DefaultSessionIdle),

			NewSessionsMiB:          intOr(s.Session.NewSessionsMiB, DefaultNewSessionsMiB),
			NewSessionsPerClientMiB: intOr(s.Session.NewSessionsPerClientMiB, DefaultNewSessionsPerClientMiB),
		},
	}
	if s.TLS != nil {
		c.Server.TLS = &TLS{CertFile: b.path(s.TLS.CertFile), KeyFile: b.path(s.TLS.KeyFile)}
	}
}

func (b *builder) signing(f *fileConfig, c *Config) {
	s := f.Signing
	c.Signing.SignatureAlgorithm = or(s.SignatureAlgorithm, AlgRSASHA256)
	for i, k := range s.Keys {
		c.Signing.Keys = append(c.Signing.Keys, KeySource{
			CertFile:       b.path(k.CertFile),
			KeyFile:        b.path(k.KeyFile),
			PKCS12File:     b.path(k.PKCS12File),
			PKCS12Password: b.secret(index("signing.keys", i)+".pkcs12_password", k.PKCS12Password),
		})
	}
	for _, p := range s.ExtraPublishedCerts {
		c.Signing.ExtraPublishedCerts = append(c.Signing.ExtraPublishedCerts, b.path(p))
	}
	c.Signing.Signer = or(s.Signer, DefaultSigner)
	if p := s.PKCS11; p != nil {
		c.Signing.PKCS11 = &PKCS11{
			Module:     b.path(p.Module),
			TokenLabel: p.TokenLabel,
			PIN:        b.secret("signing.pkcs11.pin", p.PIN),
			KeyLabel:   p.KeyLabel,
			Sessions:   intOr(p.Sessions, DefaultPKCS11Sessions),
		}
	}
}

func (b *builder) relyingParty(path string, f fileRP, c *Config) RelyingParty {
	rp := RelyingParty{
		Name:               f.Name,
		Identifier:         f.Identifier,
		ReplyURL:           f.ReplyURL,
		SignatureAlgorithm: or(f.SignatureAlgorithm, c.Signing.SignatureAlgorithm),
		TokenLifetime:      b.dur(path+".token_lifetime", f.TokenLifetime, c.Token.Lifetime),
	}
	if m := f.Metadata; m != nil {
		rp.Metadata = &RPMetadata{URL: m.URL, File: b.path(m.File)}
		if m.File != "" && m.RefreshInterval != "" {
			b.probs.add(path+".metadata.refresh_interval", "applies only to metadata read from a url")
		}
		if m.URL != "" {
			rp.Metadata.RefreshInterval = b.dur(path+".metadata.refresh_interval", m.RefreshInterval, DefaultMetadataRefresh)
		}
		for i, t := range m.SigningThumbprints {
			rp.Metadata.SigningThumbprints = append(rp.Metadata.SigningThumbprints,
				b.thumbprint(index(path+".metadata.signing_thumbprints", i), t))
		}
	}
	return rp
}

// thumbprint normalises a thumbprint as copied from the Windows
// certificate dialog (spaces, colons, and the invisible left-to-right
// mark it prepends) or from PowerShell.
func (b *builder) thumbprint(path, s string) string {
	t := strings.Map(func(r rune) rune {
		switch r {
		case ' ', ':', '\u200e', '\u200f', '\ufeff':
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s)))
	ok := len(t) == 40 || len(t) == 64
	for _, r := range t {
		ok = ok && (r >= '0' && r <= '9' || r >= 'A' && r <= 'F')
	}
	if !ok {
		b.probs.add(path, "must be a SHA-1 (40 hex digits) or SHA-256 (64 hex digits) certificate thumbprint")
	}
	return t
}

func (b *builder) claimType(path, name string) string {
	uri, ok := ClaimType(strings.TrimSpace(name))
	if !ok {
		b.probs.add(path, "unknown claim name %q; use a full claim type URI or one of: %s", name, claimNameList())
	}
	return uri
}

// dur parses a duration such as "90s", "5m" or "1h30m"; empty means def.
func (b *builder) dur(path, s string, def time.Duration) time.Duration {
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		b.probs.add(path, "%q is not a duration; write a number with a unit, such as 30s, 5m or 1h", s)
		return 0
	}
	return d
}

// prefixes parses CIDR networks; a bare address means that one host.
func (b *builder) prefixes(path string, in []string) []netip.Prefix {
	var out []netip.Prefix
	for i, s := range in {
		s = strings.TrimSpace(s)
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			b.probs.add(index(path, i), "%q is not an IP address or CIDR network such as 10.0.0.0/8", s)
			continue
		}
		if p.Masked() != p {
			b.probs.add(index(path, i), "%q has host bits set; did you mean %s?", s, p.Masked())
			continue
		}
		out = append(out, p)
	}
	return out
}

// path makes a relative path absolute against the config file's directory.
func (b *builder) path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(b.baseDir, p)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func intOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func ptrOr(v *int, def int) int {
	if v == nil {
		return def
	}
	return *v
}

func boolOr(v *bool, def bool) bool {
	if v == nil {
		return def
	}
	return *v
}

func isStream(s string) bool { return s == "stderr" || s == "stdout" || s == "none" }

// urlErr drops url.Parse's quoting of the whole input, which could be long.
func urlErr(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
