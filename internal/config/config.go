package config

import (
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Paths below base_url that claimgate serves.
const (
	WSFedPath    = "/wsfed"
	MetadataPath = "/FederationMetadata/2007-06/FederationMetadata.xml"
)

// Config is a loaded, defaulted configuration: plain values ready to wire.
// Relative file paths have been made absolute (relative to the config
// file's directory) and secrets resolved.
type Config struct {
	EntityID       string   // the issuer, an absolute URI
	BaseURL        *url.URL // public URL, without a trailing slash
	DataDir        string
	Server         Server
	Signing        Signing
	Token          Token
	RelyingParties []RelyingParty
	SAML2          SAML2 // saml2.go
	Claims         Claims
	Directory      Directory
	MFA            MFA
	SMS            SMS
	Lockout        Lockout
	Store          Store
	Audit          Audit
	Branding       Branding
	Logging        Logging
	ADFS           ADFS
	Metrics        Metrics
}

// WSFedURL is the passive requestor endpoint AD FS redirects to.
func (c *Config) WSFedURL() string { return c.urlFor(WSFedPath) }

// MetadataURL is where claimgate publishes its federation metadata.
func (c *Config) MetadataURL() string { return c.urlFor(MetadataPath) }

func (c *Config) urlFor(p string) string {
	if c.BaseURL == nil {
		return p
	}
	return strings.TrimSuffix(c.BaseURL.String(), "/") + p
}

// Server is how claimgate listens for HTTP(S).
type Server struct {
	Listen            string // host:port
	TLS               *TLS   // nil: plain HTTP (insecure_http, or TLS ends at a trusted proxy)
	InsecureHTTP      bool
	TrustedProxies    []netip.Prefix // X-Forwarded-For/-Proto are honoured only from these
	ReadTimeout       time.Duration
	ReadHeaderTimeout time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	ShutdownTimeout   time.Duration
	MaxHeaderBytes    int
	Session           Session
}

// TLS names the server certificate and key files (PEM).
type TLS struct{ CertFile, KeyFile string }

// Session is the sign-in session cookie.
type Session struct {
	CookieName  string
	Lifetime    time.Duration
	IdleTimeout time.Duration
	// NewSessionsMiB and NewSessionsPerClientMiB bound the stored bytes
	// of new sign-in sessions per IdleTimeout, across this instance and
	// per client address (login.StartBudget).
	NewSessionsMiB, NewSessionsPerClientMiB int
}

// Signing is the token-signing key material. Keys[0] signs; all keys'
// certificates and ExtraPublishedCerts are published in metadata.
type Signing struct {
	Keys                []KeySource
	ExtraPublishedCerts []string
	SignatureAlgorithm  string // AlgRSASHA256 or AlgRSASHA1
	// Signer is what signs with Keys[0]: signer.KindGo (the default),
	// signer.KindOpenSSL or signer.KindPKCS11 (package internal/signer).
	Signer string
	// PKCS11 finds Keys[0]'s private key in an HSM; set only with
	// Signer pkcs11, when Keys[0] is its certificate alone.
	PKCS11 *PKCS11
}

// PKCS11 is where an HSM keeps the signing key (signing.pkcs11).
type PKCS11 struct {
	Module     string // path of the vendor's PKCS#11 library (.so)
	TokenLabel string
	PIN        Secret // the user PIN
	KeyLabel   string // CKA_LABEL of the private key
	Sessions   int    // defaulted to DefaultPKCS11Sessions
}

// KeySource is either a PEM pair (CertFile+KeyFile) or a PKCS#12 file;
// with Signing.Signer pkcs11, Keys[0] is CertFile alone.
type KeySource struct {
	CertFile, KeyFile string
	PKCS12File        string
	PKCS12Password    Secret
}

// Signature algorithms a relying party can ask for.
const (
	AlgRSASHA256 = "rsa-sha256"
	AlgRSASHA1   = "rsa-sha1"
)

// Token is the issued token's validity.
type Token struct {
	Lifetime  time.Duration
	ClockSkew time.Duration // NotBefore is back-dated by this much
}

// RelyingParty is one AD FS (or other WS-Fed party) that may ask for tokens.
type RelyingParty struct {
	Name               string
	Identifier         string // wtrealm, compared exactly; "" when it comes from Metadata
	ReplyURL           string // AD FS's /adfs/ls/; "" when it comes from Metadata
	SignatureAlgorithm string // defaulted from signing.signature_algorithm
	TokenLifetime      time.Duration
	Metadata           *RPMetadata // nil: configured by hand
}

// RPMetadata says where to read a relying party's federation metadata.
type RPMetadata struct {
	URL                string // exactly one of URL and File
	File               string
	RefreshInterval    time.Duration // URL only
	SigningThumbprints []string      // upper-case hex SHA-1 (40) or SHA-256 (64); empty: not pinned
}

// Claims chooses which claim types tokens carry (full URIs) and, where
// organisations differ, their values.
type Claims struct {
	Issue []string
	// Name is what the name claim carries: ClaimNameWindowsAccount
	// (DOMAIN\user, as AD FS's AD claims provider) or ClaimNameUPN.
	Name string
	// LogonSIDs are well-known SIDs added to every user's groupsid, as a
	// Windows logon token carries them; empty adds none.
	LogonSIDs []string
}

// Directory is where users come from: exactly one of the two is set.
type Directory struct {
	UsersFile *UsersFile
	LDAP      *LDAP
}

// UsersFile is the YAML users file directory.
type UsersFile struct{ Path string }

// LDAP is Active Directory over LDAP.
type LDAP struct {
	URLs           []string
	Mode           string // LDAPInOrder or LDAPRoundRobin
	StartTLS       bool
	InsecurePlain  bool
	CAFile         string
	BindDN         string
	BindPassword   Secret
	BaseDN         string
	UserFilter     string
	LoginForms     []string // LoginSAMAccountName, LoginDomainSAMAccountName, LoginUPN
	NetBIOSDomain  string
	UPNSuffixes    []string
	Timeouts       LDAPTimeouts
	Pool           LDAPPool
	RetryAfter     time.Duration     // how long a failed server is skipped
	Attributes     map[string]string // LDAP attribute -> claim type URI
	PhoneAttribute string
	// PasswordChangeURL (https) is linked from the sign-in page when the
	// password was right but must be changed or has expired; "" for none.
	PasswordChangeURL string
}

// LDAP server selection modes and login-name forms.
const (
	LDAPInOrder               = "in_order"
	LDAPRoundRobin            = "round_robin"
	LoginSAMAccountName       = "samaccountname"
	LoginDomainSAMAccountName = "domain_samaccountname"
	LoginUPN                  = "upn"
)

// LDAPTimeouts bound each LDAP step.
type LDAPTimeouts struct{ Connect, Bind, Search time.Duration }

// LDAPPool sizes the connection pool.
type LDAPPool struct {
	Size        int
	IdleTimeout time.Duration
}

// MFA is the second-factor policy.
type MFA struct {
	Required      bool
	TOTP          TOTP
	HOTP          HOTP
	AppPasswords  AppPasswords
	Enrolment     Enrolment
	EncryptionKey Secret // 32 bytes, hex or base64; see Key
}

// TOTP parameters for new enrolments.
type TOTP struct {
	Digits     int
	Period     time.Duration
	Algorithm  string // SHA1, SHA256 or SHA512
	SkewSteps  int
	IssuerName string
}

// HOTP look-ahead windows.
type HOTP struct{ LookAhead, ResyncLookAhead int }

// AppPasswords policy.
type AppPasswords struct{ Policy string }

// App-password policies.
const (
	DomainPasswordAllowed = "domain_password_allowed"
	AppPasswordOnly       = "app_password_only"
)

// Enrolment is the self-enrolment policy.
type Enrolment struct {
	SelfEnrolment   bool
	AllowedNetworks []netip.Prefix
	RequireCode     bool
	CodeTTL         time.Duration // validity of an admin-issued enrolment code
}

// SMS is one-time codes by text message.
type SMS struct {
	Enabled    bool
	Gateway    Gateway
	CodeLength int
	CodeTTL    time.Duration
	MaxResends int
	RateLimit  RateLimit
}

// Gateway is the HTTP SMS gateway. URL, header values and BodyTemplate
// are Go text/templates with {{.Phone}}, {{.Code}} and {{.Token}}.
type Gateway struct {
	URL          string
	Method       string
	Headers      map[string]string
	BodyTemplate string
	Token        Secret
	Timeout      time.Duration
}

// RateLimit allows Max messages per user per Window.
type RateLimit struct {
	Max    int
	Window time.Duration
}

// Lockout is the throttling policy.
type Lockout struct {
	MaxFailures           int
	BaseLockout           time.Duration
	MaxLockout            time.Duration
	PerAddressMaxFailures int // 0: no per-address limit
	Window                time.Duration
	// UnfamiliarMaxPasswords and UnfamiliarMaxCodes limit one user's wrong
	// passwords and codes from all unfamiliar addresses together per
	// Window; then the user is locked for unfamiliar addresses for
	// UserLockout, doubling up to UserMaxLockout.
	UnfamiliarMaxPasswords int
	UnfamiliarMaxCodes     int
	UserLockout            time.Duration
	UserMaxLockout         time.Duration
	// FamiliarFor is how long an address stays familiar after a whole
	// sign-in from it.
	FamiliarFor time.Duration
	// UnfamiliarChecks password checks from unfamiliar addresses run at
	// once (0: as many as the process has cores, GOMAXPROCS); up to
	// UnfamiliarQueue more wait at most UnfamiliarWait for a place, and
	// beyond that the attempt is answered "busy" (503) without a check.
	// Familiar addresses are never held back (login.SprayGuard).
	UnfamiliarChecks int
	UnfamiliarQueue  int
	UnfamiliarWait   time.Duration
}

// Store is the durable state backend.
type Store struct {
	Driver   string // "sqlite" or "postgres"
	Path     string // sqlite
	DSN      Secret // postgres
	MaxConns int    // postgres: the connection pool's limit
}

// Audit says where audit records go.
type Audit struct {
	Log   string // "stderr", "stdout", "none" or an absolute file path
	Store bool
	// Retention is how long records stay in the store; 0 keeps them forever.
	Retention time.Duration
}

// Branding of the sign-in pages.
type Branding struct {
	ProductName  string
	LogoFile     string
	PrimaryColor string
	TemplateDir  string
	Language     string
}

// Logging of the operational log.
type Logging struct{ Level, Format string }

// ADFS feeds `claimgate adfs script`.
type ADFS struct {
	ClaimsProviderName            string
	OrganizationalAccountSuffixes []string
	RelyingPartyTrusts            []string
}
