package config

import (
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/claimgate/claimgate/internal/store/pgstore"
	"github.com/claimgate/claimgate/ldapsource"
)

// maxStoreConns bounds store.max_conns: PostgreSQL's own default limit is
// 100 connections for every client together.
const maxStoreConns = 1000

func (c *Config) validateRelyingParties(ps *problems) {
	if len(c.RelyingParties) == 0 {
		ps.add("relying_parties", "required: at least one relying party (your AD FS)")
	}
	names, ids := map[string]int{}, map[string]int{}
	for i, rp := range c.RelyingParties {
		p := index("relying_parties", i)
		if rp.Name == "" {
			ps.add(p+".name", "required")
		} else if j, dup := names[rp.Name]; dup {
			ps.add(p+".name", "%q is also the name of relying_parties[%d]", rp.Name, j)
		} else {
			names[rp.Name] = i
		}
		if rp.Metadata == nil || rp.Identifier != "" {
			switch {
			case rp.Identifier == "":
				ps.add(p+".identifier", "required (AD FS's identifier, the wtrealm it sends, e.g. http://adfs.example.com/adfs/services/trust), unless metadata is given")
			case !absoluteURI(rp.Identifier):
				ps.add(p+".identifier", "must be an absolute URI")
			default:
				if j, dup := ids[rp.Identifier]; dup {
					ps.add(p+".identifier", "is also the identifier of relying_parties[%d]", j)
				}
				ids[rp.Identifier] = i
			}
		}
		if rp.Metadata == nil || rp.ReplyURL != "" {
			if rp.ReplyURL == "" {
				ps.add(p+".reply_url", "required (AD FS's https://.../adfs/ls/), unless metadata is given")
			} else if msg := webURL(rp.ReplyURL); msg != "" {
				ps.add(p+".reply_url", "%s", msg)
			} else if strings.ContainsAny(rp.ReplyURL, "?#") {
				ps.add(p+".reply_url", "must not have a query or fragment")
			}
		}
		// Values inherited from signing and token are checked there once.
		if rp.SignatureAlgorithm != c.Signing.SignatureAlgorithm && !sigAlg(rp.SignatureAlgorithm) {
			ps.add(p+".signature_algorithm", "must be rsa-sha256 or rsa-sha1")
		}
		if rp.TokenLifetime != c.Token.Lifetime {
			positive(ps, p+".token_lifetime", rp.TokenLifetime, 24*time.Hour)
		}
		if m := rp.Metadata; m != nil {
			mp := p + ".metadata"
			switch {
			case (m.URL == "") == (m.File == ""):
				ps.add(mp, "give exactly one of url and file")
			case m.URL != "":
				if msg := webURL(m.URL); msg != "" {
					ps.add(mp+".url", "%s", msg)
				} else if !strings.HasPrefix(m.URL, "https://") {
					ps.add(mp+".url", "must be https: AD FS publishes its metadata over HTTPS, and plain HTTP could be altered on the way")
				}
				if m.RefreshInterval < time.Minute {
					ps.add(mp+".refresh_interval", "must be at least 1m")
				}
			}
			if len(m.SigningThumbprints) == 0 {
				ps.add(mp+".signing_thumbprints", "required: the SHA-1 or SHA-256 thumbprint(s) of AD FS's token-signing certificate (Get-AdfsCertificate -CertificateType Token-Signing), so that only metadata signed by AD FS is believed")
			}
		}
	}
}

func (c *Config) validateDirectory(ps *problems) {
	d := c.Directory
	switch {
	case d.UsersFile == nil && d.LDAP == nil:
		ps.add("directory", "give exactly one of users_file and ldap")
	case d.UsersFile != nil && d.LDAP != nil:
		ps.add("directory", "give only one of users_file and ldap")
	case d.UsersFile != nil:
		if d.UsersFile.Path == "" {
			ps.add("directory.users_file.path", "required")
		}
	default:
		c.validateLDAP(ps, d.LDAP)
	}
}

var (
	reAttr     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*$`)
	reDNSName  = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
	reColor    = regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)
	reLanguage = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
)

func (c *Config) validateLDAP(ps *problems, l *LDAP) {
	const p = "directory.ldap"
	if len(l.URLs) == 0 {
		ps.add(p+".urls", "required: at least one ldaps://host:636 or ldap://host:389 URL")
	}
	for i, s := range l.URLs {
		up := index(p+".urls", i)
		u, err := url.Parse(s)
		scheme := ""
		if err == nil {
			scheme = u.Scheme
		}
		switch {
		case err != nil || u.Hostname() == "" || u.User != nil || u.Opaque != "" || u.Path != "" && u.Path != "/" ||
			u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, " ?#"):
			ps.add(up, "must be ldaps://host[:port] or ldap://host[:port]")
		case scheme == "ldaps" && l.StartTLS:
			ps.add(up, "is already TLS (ldaps); start_tls applies to ldap:// URLs")
		case scheme == "ldap" && !l.StartTLS && !l.InsecurePlain:
			ps.add(up, "plain ldap:// sends passwords in the clear; use ldaps://, set start_tls: true, or (testing only) insecure_plain: true")
		case scheme != "ldap" && scheme != "ldaps":
			ps.add(up, "must start with ldaps:// or ldap://")
		}
	}
	if l.InsecurePlain && l.StartTLS {
		ps.add(p+".insecure_plain", "contradicts start_tls: true; remove one")
	}
	if l.Mode != LDAPInOrder && l.Mode != LDAPRoundRobin {
		ps.add(p+".mode", "must be in_order or round_robin")
	}
	if l.BindDN == "" {
		ps.add(p+".bind_dn", "required: the service account, e.g. CN=svc-claimgate,OU=Service Accounts,DC=example,DC=com, svc-claimgate@example.com or EXAMPLE\\svc-claimgate")
	} else if err := ldapsource.CheckBindName(l.BindDN); err != nil {
		ps.add(p+".bind_dn", "%v", err)
	}
	if !l.BindPassword.IsSet() {
		ps.add(p+".bind_password", "required (write {env: NAME} or {file: PATH} to keep it out of this file)")
	}
	if l.BaseDN == "" {
		ps.add(p+".base_dn", "required, e.g. DC=example,DC=com")
	} else if err := ldapsource.CheckDN(l.BaseDN); err != nil {
		ps.add(p+".base_dn", "%v", err)
	}
	if err := ldapsource.CheckUserFilter(l.UserFilter); err != nil {
		ps.add(p+".user_filter", "%v", err)
	}
	if len(l.LoginForms) == 0 {
		ps.add(p+".login_forms", "must list at least one of samaccountname, domain_samaccountname, upn")
	}
	for i, f := range l.LoginForms {
		if f != LoginSAMAccountName && f != LoginDomainSAMAccountName && f != LoginUPN {
			ps.add(index(p+".login_forms", i), "%q is not one of samaccountname, domain_samaccountname, upn", f)
		}
	}
	if l.NetBIOSDomain == "" {
		ps.add(p+".netbios_domain", "required: the pre-Windows 2000 domain name, e.g. EXAMPLE (for DOMAIN\\user logins and windowsaccountname)")
	} else if err := ldapsource.CheckNetBIOSDomain(l.NetBIOSDomain); err != nil {
		ps.add(p+".netbios_domain", "%v", err)
	}
	for i, s := range l.UPNSuffixes {
		if !reDNSName.MatchString(strings.TrimPrefix(s, "@")) {
			ps.add(index(p+".upn_suffixes", i), "%q is not a DNS suffix such as example.com", s)
		}
	}
	positive(ps, p+".timeouts.connect", l.Timeouts.Connect, time.Minute)
	positive(ps, p+".timeouts.bind", l.Timeouts.Bind, time.Minute)
	positive(ps, p+".timeouts.search", l.Timeouts.Search, 5*time.Minute)
	if l.Pool.Size < 1 || l.Pool.Size > 100 {
		ps.add(p+".pool.size", "must be between 1 and 100")
	}
	positive(ps, p+".pool.idle_timeout", l.Pool.IdleTimeout, 0)
	positive(ps, p+".retry_after", l.RetryAfter, time.Hour)
	for _, attr := range slices.Sorted(maps.Keys(l.Attributes)) {
		t := l.Attributes[attr]
		ap := p + ".attributes." + attr
		if !reAttr.MatchString(attr) {
			ps.add(ap, "%q is not an LDAP attribute name", attr)
		}
		if !absoluteURI(t) {
			ps.add(ap, "must map to a claim type URI or a known short name")
		}
	}
	if !reAttr.MatchString(l.PhoneAttribute) {
		ps.add(p+".phone_attribute", "must be an LDAP attribute name such as mobile")
	}
}

func (c *Config) validateRest(ps *problems) {
	switch c.Store.Driver {
	case "sqlite":
		if c.Store.Path == "" {
			ps.add("store.path", "required")
		}
	case "postgres":
		// Parsed as Open will parse it, so `claimgate check` finds a bad
		// DSN before a start fails; the message never repeats the DSN.
		if !c.Store.DSN.IsSet() {
			ps.add("store.dsn", "required for the postgres driver: a connection string such as "+
				"postgres://claimgate@db.example/claimgate?sslmode=verify-full, as a value, {env: NAME} or {file: PATH}")
		} else if _, err := pgstore.ParseDSN(c.Store.DSN.Value()); err != nil {
			ps.add("store.dsn", "%v", err)
		}
		if c.Store.MaxConns < 1 || c.Store.MaxConns > maxStoreConns {
			ps.add("store.max_conns", "must be between 1 and %d", maxStoreConns)
		}
	default:
		ps.add("store.driver", "must be sqlite or postgres")
	}
	if c.Audit.Log == "" {
		ps.add("audit.log", "required: stderr, stdout, none or a file path")
	}
	if c.Audit.Retention < 0 || (c.Audit.Retention > 0 && c.Audit.Retention < 24*time.Hour) {
		ps.add("audit.retention", "must be 0 (keep forever) or at least 24h")
	}
	b := c.Branding
	if b.ProductName == "" {
		ps.add("branding.product_name", "required")
	}
	if !reColor.MatchString(b.PrimaryColor) {
		ps.add("branding.primary_color", "must be a colour written #rrggbb, e.g. #1f5fa8")
	}
	if !reLanguage.MatchString(b.Language) {
		ps.add("branding.language", "must be a language tag such as en or de-CH")
	}
	switch c.Logging.Level {
	case "debug", "info", "warn", "error":
	default:
		ps.add("logging.level", "must be debug, info, warn or error")
	}
	if c.Logging.Format != "json" && c.Logging.Format != "text" {
		ps.add("logging.format", "must be json or text")
	}
	if c.ADFS.ClaimsProviderName == "" {
		ps.add("adfs.claims_provider_name", "required")
	}
	for i, s := range c.ADFS.OrganizationalAccountSuffixes {
		if !reDNSName.MatchString(s) {
			ps.add(index("adfs.organizational_account_suffixes", i), "%q is not a DNS suffix such as example.com", s)
		}
	}
	for i, s := range c.ADFS.RelyingPartyTrusts {
		if strings.TrimSpace(s) == "" {
			ps.add(index("adfs.relying_party_trusts", i), "must be the name of an AD FS relying party trust")
		}
	}
	c.validateMetrics(ps)
}
