package ldapsource

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/claimgate/claimgate/claims"
)

// Mode says in which order the configured servers are tried.
type Mode int

const (
	// InOrder tries the URLs in the configured order: the first is the
	// preferred server, the others are fallbacks.
	InOrder Mode = iota
	// RoundRobin starts each new connection at the next URL, spreading
	// connections over all servers.
	RoundRobin
)

// LoginForm is one way a user may type their name.
type LoginForm string

// The accepted login-name forms.
const (
	// FormSAM is the bare sAMAccountName: alice.
	FormSAM LoginForm = "sam"
	// FormDomainSAM is the down-level logon name: EXAMPLE\alice.
	FormDomainSAM LoginForm = "domain_sam"
	// FormUPN is the userPrincipalName: alice@example.test.
	FormUPN LoginForm = "upn"
)

// Defaults used when a Config field is left at its zero value. They are
// the only copy: internal/config resolves the YAML file's defaults from
// these, and docs/configuration.md states them.
const (
	DefaultUserFilter     = "(&(objectCategory=person)(objectClass=user))"
	DefaultPhoneAttribute = "mobile"
	DefaultConnectTimeout = 5 * time.Second
	DefaultBindTimeout    = 5 * time.Second
	DefaultSearchTimeout  = 10 * time.Second
	// DefaultPoolSize is per pool: with the service and the user-bind pool
	// an instance keeps up to twice this many connections to the DCs. Four
	// is what the configuration file has always applied and documented.
	DefaultPoolSize = 4
	// DefaultIdleTimeout is below AD's default MaxConnIdleTime (900 s), so
	// claimgate drops idle connections before the DC does.
	DefaultIdleTimeout = 5 * time.Minute
	DefaultRetryAfter  = 30 * time.Second
	// DefaultPort and DefaultTLSPort are used for a URL without a port:
	// ldap:// (plain or StartTLS) and ldaps:// respectively.
	DefaultPort    = "389"
	DefaultTLSPort = "636"
)

// DefaultLoginForms are the forms accepted when Config.LoginForms is
// empty: all of them.
func DefaultLoginForms() []LoginForm { return []LoginForm{FormSAM, FormDomainSAM, FormUPN} }

// NoPooling as Config.PoolSize opens a new connection (TCP, TLS, bind) for
// every operation and closes it afterwards. For comparison and debugging.
const NoPooling = -1

// Config is the runtime configuration of a Directory. Zero values mean the
// documented defaults; New reports every problem at once.
type Config struct {
	// URLs are the domain controllers: ldaps://host[:636] or ldap://host[:389].
	URLs []string
	// Mode orders the URLs: InOrder (default) or RoundRobin.
	Mode Mode
	// StartTLS upgrades ldap:// URLs with the StartTLS extended operation.
	StartTLS bool
	// InsecurePlain allows ldap:// URLs without StartTLS: passwords then
	// cross the network in clear text. Never for production.
	InsecurePlain bool
	// RootCAs verifies the servers' certificates; nil with an empty CAFile
	// means the system roots. Verification is never switched off.
	RootCAs *x509.CertPool
	// CAFile is a PEM bundle of CA certificates, an alternative to RootCAs.
	CAFile string
	// BindDN and BindPassword are the read-only service account. Despite
	// the name, BindDN is whatever AD accepts as the name in a simple
	// bind: a DN (CN=svc,OU=Service Accounts,DC=example,DC=com), a user
	// principal name (svc@example.com) or DOMAIN\svc; see CheckBindName.
	BindDN       string
	BindPassword string
	// BaseDN is where users are searched (subtree), e.g. DC=example,DC=test.
	BaseDN string
	// UserFilter selects user objects; the login-name match is ANDed to it:
	// (&UserFilter(sAMAccountName=<escaped>)). It has no placeholders.
	UserFilter string
	// LoginForms are the accepted login-name forms; empty means all three.
	LoginForms []LoginForm
	// NetBIOSDomain is the down-level domain name (EXAMPLE) used for
	// DOMAIN\user matching and windowsaccountname; empty means read it from
	// CN=Partitions in the configuration partition.
	NetBIOSDomain string
	// UPNSuffixes, when not empty, are the only suffixes accepted in UPN
	// logins (alice@suffix); others are unknown users without a search.
	UPNSuffixes []string
	// ConnectTimeout bounds TCP connect plus TLS (or StartTLS) handshake.
	ConnectTimeout time.Duration
	// BindTimeout bounds one bind (service account or user).
	BindTimeout time.Duration
	// SearchTimeout bounds one search.
	SearchTimeout time.Duration
	// PoolSize is the most connections each pool (service, user bind) keeps
	// open; 0 means DefaultPoolSize, NoPooling disables pooling.
	PoolSize int
	// IdleTimeout closes pooled connections unused for this long.
	IdleTimeout time.Duration
	// RetryAfter is how long a failed server is tried only as a last resort.
	RetryAfter time.Duration
	// Attributes maps extra LDAP attributes to claim type URIs; their
	// values land in Identity.Extra.
	Attributes map[string]string
	// PhoneAttribute is the attribute read into Identity.Mobile.
	PhoneAttribute string
	// Claims makes the choices where organisations differ about the
	// values of name and groupsid (applied to every identity returned).
	// The zero value issues name as DOMAIN\user and adds no logon SIDs;
	// claims.DefaultMapping is what AD FS's AD claims provider issues.
	Claims claims.Mapping
	// Now is the clock (account expiry, lockout, dead servers); nil = time.Now.
	Now func() time.Time
	// Logger receives detail (never passwords); nil = slog.Default().
	Logger *slog.Logger
	// Observer, when set, is told about every request to a server
	// (metrics); nil means none.
	Observer Observer
}

// normalize applies defaults and checks cfg, returning every problem.
func (cfg Config) normalize() (Config, *x509.CertPool, error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{field}, args...)...))
	}
	if len(cfg.URLs) == 0 {
		bad("URLs", "at least one server URL is required")
	}
	for i, raw := range cfg.URLs {
		field := fmt.Sprintf("URLs[%d]", i)
		u, err := url.Parse(raw)
		if err != nil {
			bad(field, "%v", err)
			continue
		}
		if u.Host == "" || u.Hostname() == "" {
			bad(field, "%q has no host", raw)
		}
		if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			bad(field, "%q: only scheme, host and port are allowed", raw)
		}
		switch u.Scheme {
		case "ldaps":
			if cfg.StartTLS {
				bad(field, "%q is ldaps://, StartTLS applies to ldap:// URLs only", raw)
			}
		case "ldap":
			if !cfg.StartTLS && !cfg.InsecurePlain {
				bad(field, "%q is plain LDAP: use ldaps://, set StartTLS, or (tests only) InsecurePlain", raw)
			}
		default:
			bad(field, "%q: scheme must be ldaps or ldap", raw)
		}
	}
	if cfg.Mode != InOrder && cfg.Mode != RoundRobin {
		bad("Mode", "unknown mode %d", cfg.Mode)
	}
	roots := cfg.RootCAs
	if cfg.CAFile != "" {
		if roots != nil {
			bad("CAFile", "set either RootCAs or CAFile, not both")
		}
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			bad("CAFile", "%v", err)
		} else {
			roots = x509.NewCertPool()
			if !roots.AppendCertsFromPEM(pem) {
				bad("CAFile", "%s holds no PEM certificate", cfg.CAFile)
			}
		}
	}
	if cfg.BindDN == "" {
		bad("BindDN", "the service account is required (anonymous search is not supported)")
	} else if err := CheckBindName(cfg.BindDN); err != nil {
		bad("BindDN", "%v", err)
	}
	if cfg.BindPassword == "" {
		bad("BindPassword", "required: an empty password would be an anonymous bind")
	}
	if cfg.BaseDN == "" {
		bad("BaseDN", "required, e.g. DC=example,DC=test")
	} else if err := CheckDN(cfg.BaseDN); err != nil {
		bad("BaseDN", "%v", err)
	}
	if cfg.UserFilter == "" {
		cfg.UserFilter = DefaultUserFilter
	}
	if err := CheckUserFilter(cfg.UserFilter); err != nil {
		bad("UserFilter", "%v", err)
	}
	if len(cfg.LoginForms) == 0 {
		cfg.LoginForms = DefaultLoginForms()
	}
	for i, f := range cfg.LoginForms {
		if f != FormSAM && f != FormDomainSAM && f != FormUPN {
			bad(fmt.Sprintf("LoginForms[%d]", i), "%q: must be sam, domain_sam or upn", f)
		}
	}
	if cfg.NetBIOSDomain != "" {
		if err := CheckNetBIOSDomain(cfg.NetBIOSDomain); err != nil {
			bad("NetBIOSDomain", "%v", err)
		}
	}
	durations := []struct {
		name string
		d    *time.Duration
		def  time.Duration
	}{
		{"ConnectTimeout", &cfg.ConnectTimeout, DefaultConnectTimeout},
		{"BindTimeout", &cfg.BindTimeout, DefaultBindTimeout},
		{"SearchTimeout", &cfg.SearchTimeout, DefaultSearchTimeout},
		{"IdleTimeout", &cfg.IdleTimeout, DefaultIdleTimeout},
		{"RetryAfter", &cfg.RetryAfter, DefaultRetryAfter},
	}
	for _, d := range durations {
		switch {
		case *d.d < 0:
			bad(d.name, "must not be negative")
		case *d.d == 0:
			*d.d = d.def
		}
	}
	switch {
	case cfg.PoolSize == 0:
		cfg.PoolSize = DefaultPoolSize
	case cfg.PoolSize < NoPooling:
		bad("PoolSize", "must be positive, 0 (default) or NoPooling (-1)")
	}
	for attr, uri := range cfg.Attributes {
		if attr == "" || strings.ContainsAny(attr, "()=*\\ ") {
			bad("Attributes["+attr+"]", "not an LDAP attribute name")
		}
		if uri == "" {
			bad("Attributes["+attr+"]", "claim type URI is empty")
		}
	}
	if cfg.PhoneAttribute == "" {
		cfg.PhoneAttribute = DefaultPhoneAttribute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return cfg, roots, errors.Join(errs...)
}

func (cfg Config) allows(f LoginForm) bool {
	for _, g := range cfg.LoginForms {
		if g == f {
			return true
		}
	}
	return false
}

// upnSuffixAllowed reports whether the UPN's suffix is acceptable.
func (cfg Config) upnSuffixAllowed(upn string) bool {
	if len(cfg.UPNSuffixes) == 0 {
		return true
	}
	_, suffix, _ := strings.Cut(upn, "@")
	for _, s := range cfg.UPNSuffixes {
		if strings.EqualFold(strings.TrimPrefix(s, "@"), suffix) {
			return true
		}
	}
	return false
}

// The rules below are the only copy of what ldapsource accepts as a name,
// DN, filter or NetBIOS domain. New applies them under the Config field's
// name; internal/config applies them under the YAML key, so a mistake is
// reported with its path and line before New is reached. Their messages
// name neither.

// CheckBindName reports whether s can be the service account's name in a
// simple bind. Active Directory accepts three forms, and ldapsource sends
// the string as it is: a distinguished name (anything with '=' is taken
// as one and must parse), a user principal name (svc@example.com) or a
// down-level logon name (EXAMPLE\svc).
func CheckBindName(s string) error {
	const forms = `give a DN (CN=svc-claimgate,OU=Service Accounts,DC=example,DC=com), a user principal name (svc-claimgate@example.com) or EXAMPLE\svc-claimgate`
	switch {
	case strings.TrimSpace(s) != s:
		return errors.New("has spaces at the start or end")
	case strings.Contains(s, "="):
		if err := CheckDN(s); err != nil {
			return err
		}
		return checkBindDNTypes(s)
	case strings.Contains(s, `\`):
		domain, user, _ := strings.Cut(s, `\`)
		if err := CheckNetBIOSDomain(domain); err != nil {
			return fmt.Errorf("the domain before the backslash: %w", err)
		}
		if user == "" || strings.ContainsAny(user, `"/\[]:;|=,+*?<>`) || strings.TrimSpace(user) != user {
			return fmt.Errorf("%q after the backslash is not an account name (sAMAccountName)", user)
		}
		return nil
	case strings.Contains(s, "@"):
		i := strings.LastIndex(s, "@")
		local, suffix := s[:i], s[i+1:]
		if local == "" || suffix == "" || strings.ContainsAny(s, " \t") || strings.Contains(local, "@") {
			return errors.New("is not a user principal name such as svc-claimgate@example.com")
		}
		return nil
	default:
		return errors.New("is neither a DN, nor a user principal name, nor DOMAIN\\user: " + forms)
	}
}

// checkBindDNTypes refuses a bind DN (parsed by CheckDN) whose attribute
// types are not names (2.5.4.3=, OID.2.5.4.3=, <GUID=…>): AD returns DNs
// with names, and claimgate recognises its service account's entry by its
// DN so that the account is never a sign-in target (serviceaccount.go); a
// DN written another way would not be recognised.
func checkBindDNTypes(s string) error {
	dn, _ := ldap.ParseDN(s)
	for _, rdn := range dn.RDNs {
		for _, a := range rdn.Attributes {
			if !isAttrName(a.Type) {
				return fmt.Errorf("uses the attribute type %q: write the DN with attribute names, as AD shows it in distinguishedName (CN=…,OU=…,DC=…)", a.Type)
			}
		}
	}
	return nil
}

// isAttrName reports whether t is an attribute type name (RFC 4512
// descr: a letter, then letters, digits and hyphens), not an OID.
func isAttrName(t string) bool {
	for i, c := range t {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '-')) {
			return false
		}
	}
	return t != "" && !strings.EqualFold(t, "oid")
}

// CheckDN reports whether s is a distinguished name, such as
// DC=example,DC=com or CN=svc-claimgate,OU=Service Accounts,DC=example,DC=com.
func CheckDN(s string) error {
	if !strings.Contains(s, "=") && strings.Contains(s, ".") && !strings.ContainsAny(s, " ,\\") {
		return fmt.Errorf("%q is a DNS name, not a DN; the DN of that domain is DC=%s", s, strings.ReplaceAll(s, ".", ",DC="))
	}
	dn, err := ldap.ParseDN(s)
	if err != nil {
		return fmt.Errorf("is not a valid DN (%v); write it as AD shows it in distinguishedName, e.g. OU=Staff,DC=example,DC=com", err)
	}
	if len(dn.RDNs) == 0 {
		return errors.New("is not a valid DN: it has no component; write e.g. DC=example,DC=com")
	}
	return nil
}

// CheckUserFilter reports whether s is an LDAP search filter.
func CheckUserFilter(s string) error {
	if _, err := ldap.CompileFilter(s); err != nil {
		var le *ldap.Error
		if errors.As(err, &le) && le.Err != nil {
			err = le.Err
		}
		return fmt.Errorf("is not an LDAP filter (%s); write one filter in parentheses, conditions combined with &, e.g. %s",
			strings.TrimPrefix(err.Error(), "ldap: "), DefaultUserFilter)
	}
	return nil
}

// CheckNetBIOSDomain reports whether s is a down-level (pre-Windows 2000)
// domain name such as EXAMPLE: 1 to 15 letters, digits and the few
// punctuation marks AD allows, without a dot (the DNS name example.com is
// a common mistake here), backslash or '@', which would make DOMAIN\user
// and user@suffix logins ambiguous.
func CheckNetBIOSDomain(s string) error {
	if strings.Contains(s, ".") {
		return fmt.Errorf("%q looks like a DNS name; give the pre-Windows 2000 domain name, e.g. EXAMPLE ((Get-ADDomain).NetBIOSName)", s)
	}
	if !reNetBIOS.MatchString(s) {
		return fmt.Errorf("%q is not a NetBIOS domain name: at most 15 letters, digits or - _ ! # $ %% ^ ( ) ' { } ~, e.g. EXAMPLE", s)
	}
	return nil
}

var reNetBIOS = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9!#$%^()\-'{}~_]{0,14}$`)
