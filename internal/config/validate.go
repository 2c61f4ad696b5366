package config

import (
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Validate checks the rules between values and returns every problem
// with its path. It works on a Config built in code as well as on a loaded
// one (Load calls it); it does not touch the file system (see CheckFiles).
func (c *Config) Validate() []Problem {
	var ps problems
	if c.EntityID == "" {
		ps.add("entity_id", "required: the issuer name AD FS will know claimgate by, e.g. https://sts.example.com/claimgate")
	} else if !absoluteURI(c.EntityID) {
		ps.add("entity_id", "must be an absolute URI (with a scheme such as https: or urn:)")
	}
	switch u := c.BaseURL; {
	case u == nil:
		ps.add("base_url", "required: the public https URL users and AD FS reach claimgate at")
	case u.Scheme != "https" && u.Scheme != "http" || u.Host == "" || u.Opaque != "":
		ps.add("base_url", "must be an absolute https URL")
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		ps.add("base_url", "must not have a query, fragment or user name")
	case u.Path != "":
		// Every page, redirect and form of the sign-in is at the root
		// (/login, /wsfed, /static/...), and the session cookie is a
		// __Host- cookie, which is for the whole host (Path=/) by
		// definition: below a path prefix the sign-in would leave it.
		ps.add("base_url", "must not have a path (%q): claimgate is served at the root of a host name of its own, e.g. https://mfa.example.com", u.Path)
	case u.Scheme == "http" && !c.Server.InsecureHTTP:
		ps.add("base_url", "must be https (http only with server.insecure_http: true, for testing)")
	}
	if c.DataDir == "" {
		ps.add("data_dir", "required")
	}
	c.validateServer(&ps)
	c.validateSigning(&ps)
	positive(&ps, "token.lifetime", c.Token.Lifetime, 24*time.Hour)
	between(&ps, "token.clock_skew", c.Token.ClockSkew, time.Second, time.Hour)
	c.validateRelyingParties(&ps)
	c.validateSAML2(&ps)
	if len(c.Claims.Issue) == 0 {
		ps.add("claims.issue", "must list at least one claim type")
	}
	seen := map[string]int{}
	for i, t := range c.Claims.Issue {
		p := index("claims.issue", i)
		if !absoluteURI(t) {
			ps.add(p, "must be a claim type URI or a known short name")
		} else if j, dup := seen[t]; dup {
			ps.add(p, "repeats claims.issue[%d]", j)
		}
		seen[t] = i
	}
	c.validateDirectory(&ps)
	c.validateLogin(&ps)
	c.validateMFA(&ps)
	c.validateSMS(&ps)
	c.validateLockout(&ps)
	c.validateRest(&ps)
	return ps
}

func (c *Config) validateServer(ps *problems) {
	s := c.Server
	if host, port, err := net.SplitHostPort(s.Listen); err != nil {
		ps.add("server.listen", "must be host:port or :port, e.g. :8443")
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		ps.add("server.listen", "port %q must be a number from 1 to 65535", port)
	} else if host != "" && net.ParseIP(host) == nil && strings.ContainsAny(host, " /") {
		ps.add("server.listen", "host %q is not an address or name", host)
	}
	https := c.BaseURL != nil && c.BaseURL.Scheme == "https"
	switch {
	case s.TLS != nil && s.InsecureHTTP:
		ps.add("server.insecure_http", "cannot be used together with server.tls; choose one")
	case s.TLS != nil:
		if s.TLS.CertFile == "" {
			ps.add("server.tls.cert_file", "required")
		}
		if s.TLS.KeyFile == "" {
			ps.add("server.tls.key_file", "required")
		}
	case s.InsecureHTTP:
	case len(s.TrustedProxies) > 0 && https:
		// TLS ends at the proxy; secure cookies and HSTS follow base_url.
	case len(s.TrustedProxies) > 0:
		ps.add("server.tls", "required: behind a trusted proxy base_url must be https; otherwise give tls or set insecure_http: true")
	default:
		ps.add("server.tls", "required: claimgate serves HTTPS itself; give tls {cert_file, key_file}, or trusted_proxies when a proxy ends TLS, or insecure_http: true for testing only")
	}
	for _, p := range s.TrustedProxies {
		switch {
		case p.Bits() == 0:
			ps.add("server.trusted_proxies", "%s trusts every address; list the proxies' own addresses", p)
		case tooWide(p):
			ps.add("server.trusted_proxies", "%s trusts a large part of the Internet; list the proxies' own addresses", p)
		}
	}
	positive(ps, "server.read_timeout", s.ReadTimeout, 0)
	positive(ps, "server.read_header_timeout", s.ReadHeaderTimeout, 0)
	positive(ps, "server.write_timeout", s.WriteTimeout, 0)
	positive(ps, "server.idle_timeout", s.IdleTimeout, 0)
	positive(ps, "server.shutdown_timeout", s.ShutdownTimeout, 0)
	if s.MaxHeaderBytes < 4096 || s.MaxHeaderBytes > 1<<20 {
		ps.add("server.max_header_bytes", "must be between 4096 and 1048576")
	}
	if !cookieName(s.Session.CookieName) {
		ps.add("server.session.cookie_name", "must be letters, digits, '-' or '_'")
	}
	positive(ps, "server.session.lifetime", s.Session.Lifetime, MaxSessionLifetime)
	positive(ps, "server.session.idle_timeout", s.Session.IdleTimeout, MaxSessionLifetime)
	if s.Session.IdleTimeout > s.Session.Lifetime && s.Session.Lifetime > 0 {
		ps.add("server.session.idle_timeout", "must not be longer than server.session.lifetime")
	}
	for _, n := range []struct {
		path string
		v    int
	}{{"server.session.new_sessions_mib", s.Session.NewSessionsMiB}, {"server.session.new_sessions_per_client_mib", s.Session.NewSessionsPerClientMiB}} {
		if n.v < 1 || n.v > 1<<20 {
			ps.add(n.path, "must be between 1 and 1048576 (MiB)")
		}
	}
	if s.Session.NewSessionsPerClientMiB > s.Session.NewSessionsMiB {
		ps.add("server.session.new_sessions_per_client_mib", "must not be more than server.session.new_sessions_mib")
	}
}

func (c *Config) validateSigning(ps *problems) {
	s := c.Signing
	if len(s.Keys) == 0 {
		ps.add("signing.keys", "required: at least one signing key (make one with: claimgate certs new)")
	}
	for i, k := range s.Keys {
		p := index("signing.keys", i)
		if c.heldKey(i) {
			validateHeldKey(ps, p, k)
			continue
		}
		pem := k.CertFile != "" || k.KeyFile != ""
		switch {
		case pem && k.PKCS12File != "":
			ps.add(p, "give either cert_file and key_file, or pkcs12_file, not both")
		case pem && k.CertFile == "":
			ps.add(p+".cert_file", "required with key_file")
		case pem && k.KeyFile == "":
			ps.add(p+".key_file", "required with cert_file")
		case !pem && k.PKCS12File == "":
			ps.add(p, "give cert_file and key_file (PEM), or pkcs12_file (.pfx)")
		}
		if k.PKCS12Password.IsSet() && k.PKCS12File == "" {
			ps.add(p+".pkcs12_password", "applies only with pkcs12_file")
		}
	}
	if !sigAlg(s.SignatureAlgorithm) {
		ps.add("signing.signature_algorithm", "must be rsa-sha256 or rsa-sha1")
	}
	c.validateSigner(ps)
}

func sigAlg(s string) bool { return s == AlgRSASHA256 || s == AlgRSASHA1 }

func absoluteURI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "") && !strings.ContainsAny(s, " \t\r\n")
}

// webURL checks an https URL; plain http is accepted only for a loopback
// host, where tests and the demo run.
func webURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return "must be an absolute https URL"
	}
	if u.Scheme == "https" || u.Scheme == "http" && loopback(u.Hostname()) {
		return ""
	}
	return "must be an absolute https URL (http only for 127.0.0.1, ::1 or localhost)"
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

func cookieName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// positive requires d > 0 and, when max > 0, d <= max.
func positive(ps *problems, path string, d, max time.Duration) {
	if d <= 0 {
		ps.add(path, "must be a positive duration")
	} else if max > 0 && d > max {
		ps.add(path, "must not be longer than %s", short(max))
	}
}

func between(ps *problems, path string, d, min, max time.Duration) {
	if d < min || d > max {
		ps.add(path, "must be between %s and %s", short(min), short(max))
	}
}

// short prints 1h rather than Go's 1h0m0s.
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// tooWide: p covers more than an IPv4 /8 or an IPv6 /7 (the private
// 10.0.0.0/8 and fc00::/7 are the widest an organisation's own networks
// are). Such a list entry trusts much of the Internet: 0.0.0.0/0, or
// 0.0.0.0/1 with 128.0.0.0/1, which is every address too.
func tooWide(p netip.Prefix) bool {
	if p.Addr().Is4() || p.Addr().Is4In6() {
		bits := p.Bits()
		if p.Addr().Is4In6() {
			bits -= 96
		}
		return bits < 8
	}
	return p.Bits() < 7
}
