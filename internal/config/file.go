package config

// The file layer: structs that mirror the YAML document key for key. They
// hold what the administrator wrote (durations, URLs and networks as
// strings) so that build can report a bad value with its path instead of
// the decoder stopping at the first one. Pointers mark values whose zero
// is meaningful, so "not written" can take the default.

type fileConfig struct {
	EntityID       string        `yaml:"entity_id"`
	BaseURL        string        `yaml:"base_url"`
	DataDir        string        `yaml:"data_dir"`
	Server         fileServer    `yaml:"server"`
	Signing        fileSigning   `yaml:"signing"`
	Token          fileToken     `yaml:"token"`
	RelyingParties []fileRP      `yaml:"relying_parties"`
	SAML2          fileSAML2     `yaml:"saml2"` // saml2.go
	Claims         fileClaims    `yaml:"claims"`
	Directory      fileDirectory `yaml:"directory"`
	MFA            fileMFA       `yaml:"mfa"`
	SMS            fileSMS       `yaml:"sms"`
	Lockout        fileLockout   `yaml:"lockout"`
	Store          fileStore     `yaml:"store"`
	Audit          fileAudit     `yaml:"audit"`
	Branding       fileBranding  `yaml:"branding"`
	Logging        fileLogging   `yaml:"logging"`
	ADFS           fileADFS      `yaml:"adfs"`
	Metrics        fileMetrics   `yaml:"metrics"`
}

type fileServer struct {
	Listen            string      `yaml:"listen"`
	TLS               *fileTLS    `yaml:"tls"`
	InsecureHTTP      bool        `yaml:"insecure_http"`
	TrustedProxies    []string    `yaml:"trusted_proxies"`
	ReadTimeout       string      `yaml:"read_timeout"`
	ReadHeaderTimeout string      `yaml:"read_header_timeout"`
	WriteTimeout      string      `yaml:"write_timeout"`
	IdleTimeout       string      `yaml:"idle_timeout"`
	ShutdownTimeout   string      `yaml:"shutdown_timeout"`
	MaxHeaderBytes    int         `yaml:"max_header_bytes"`
	Session           fileSession `yaml:"session"`
}

type fileTLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

type fileSession struct {
	CookieName              string `yaml:"cookie_name"`
	Lifetime                string `yaml:"lifetime"`
	IdleTimeout             string `yaml:"idle_timeout"`
	NewSessionsMiB          int    `yaml:"new_sessions_mib"`
	NewSessionsPerClientMiB int    `yaml:"new_sessions_per_client_mib"`
}

type fileSigning struct {
	Keys                []fileKey   `yaml:"keys"`
	ExtraPublishedCerts []string    `yaml:"extra_published_certs"`
	SignatureAlgorithm  string      `yaml:"signature_algorithm"`
	Signer              string      `yaml:"signer"`
	PKCS11              *filePKCS11 `yaml:"pkcs11"`
}

type filePKCS11 struct {
	Module     string     `yaml:"module"`
	TokenLabel string     `yaml:"token_label"`
	PIN        secretSpec `yaml:"pin"`
	KeyLabel   string     `yaml:"key_label"`
	Sessions   int        `yaml:"sessions"`
}

type fileKey struct {
	CertFile       string     `yaml:"cert_file"`
	KeyFile        string     `yaml:"key_file"`
	PKCS12File     string     `yaml:"pkcs12_file"`
	PKCS12Password secretSpec `yaml:"pkcs12_password"`
}

type fileToken struct {
	Lifetime  string `yaml:"lifetime"`
	ClockSkew string `yaml:"clock_skew"`
}

type fileRP struct {
	Name               string          `yaml:"name"`
	Identifier         string          `yaml:"identifier"`
	ReplyURL           string          `yaml:"reply_url"`
	SignatureAlgorithm string          `yaml:"signature_algorithm"`
	TokenLifetime      string          `yaml:"token_lifetime"`
	Metadata           *fileRPMetadata `yaml:"metadata"`
}

type fileRPMetadata struct {
	URL                string   `yaml:"url"`
	File               string   `yaml:"file"`
	RefreshInterval    string   `yaml:"refresh_interval"`
	SigningThumbprints []string `yaml:"signing_thumbprints"`
}

type fileClaims struct {
	Issue     []string `yaml:"issue"`
	Name      string   `yaml:"name"`
	LogonSIDs []string `yaml:"logon_sids"`
}

type fileDirectory struct {
	UsersFile *fileUsersFile `yaml:"users_file"`
	LDAP      *fileLDAP      `yaml:"ldap"`
}

type fileUsersFile struct {
	Path string `yaml:"path"`
}

type fileLDAP struct {
	URLs           []string          `yaml:"urls"`
	Mode           string            `yaml:"mode"`
	StartTLS       bool              `yaml:"start_tls"`
	InsecurePlain  bool              `yaml:"insecure_plain"`
	CAFile         string            `yaml:"ca_file"`
	BindDN         string            `yaml:"bind_dn"`
	BindPassword   secretSpec        `yaml:"bind_password"`
	BaseDN         string            `yaml:"base_dn"`
	UserFilter     string            `yaml:"user_filter"`
	LoginForms     []string          `yaml:"login_forms"`
	NetBIOSDomain  string            `yaml:"netbios_domain"`
	UPNSuffixes    []string          `yaml:"upn_suffixes"`
	Timeouts       fileLDAPTimeouts  `yaml:"timeouts"`
	Pool           fileLDAPPool      `yaml:"pool"`
	RetryAfter     string            `yaml:"retry_after"`
	Attributes     map[string]string `yaml:"attributes"`
	PhoneAttribute string            `yaml:"phone_attribute"`
	// PasswordChangeURL is linked from the sign-in page when AD says the
	// (correct) password must be changed or has expired.
	PasswordChangeURL string `yaml:"password_change_url"`
}

type fileLDAPTimeouts struct {
	Connect string `yaml:"connect"`
	Bind    string `yaml:"bind"`
	Search  string `yaml:"search"`
}

type fileLDAPPool struct {
	Size        int    `yaml:"size"`
	IdleTimeout string `yaml:"idle_timeout"`
}

type fileMFA struct {
	Required      *bool            `yaml:"required"`
	TOTP          fileTOTP         `yaml:"totp"`
	HOTP          fileHOTP         `yaml:"hotp"`
	AppPasswords  fileAppPasswords `yaml:"app_passwords"`
	Enrolment     fileEnrolment    `yaml:"enrolment"`
	EncryptionKey secretSpec       `yaml:"encryption_key"`
}

type fileTOTP struct {
	Digits     int    `yaml:"digits"`
	Period     string `yaml:"period"`
	Algorithm  string `yaml:"algorithm"`
	SkewSteps  *int   `yaml:"skew_steps"`
	IssuerName string `yaml:"issuer_name"`
}

type fileHOTP struct {
	LookAhead       *int `yaml:"look_ahead"`
	ResyncLookAhead *int `yaml:"resync_look_ahead"`
}

type fileAppPasswords struct {
	Policy string `yaml:"policy"`
}

type fileEnrolment struct {
	SelfEnrolment   bool     `yaml:"self_enrolment"`
	AllowedNetworks []string `yaml:"allowed_networks"`
	RequireCode     bool     `yaml:"require_code"`
	CodeTTL         string   `yaml:"code_ttl"`
}

type fileSMS struct {
	Enabled    bool          `yaml:"enabled"`
	Gateway    fileGateway   `yaml:"gateway"`
	CodeLength int           `yaml:"code_length"`
	CodeTTL    string        `yaml:"code_ttl"`
	MaxResends *int          `yaml:"max_resends"`
	RateLimit  fileRateLimit `yaml:"rate_limit"`
}

type fileGateway struct {
	URL          string            `yaml:"url"`
	Method       string            `yaml:"method"`
	Headers      map[string]string `yaml:"headers"`
	BodyTemplate string            `yaml:"body_template"`
	Token        secretSpec        `yaml:"token"`
	Timeout      string            `yaml:"timeout"`
}

type fileRateLimit struct {
	Max    int    `yaml:"max"`
	Window string `yaml:"window"`
}

type fileLockout struct {
	MaxFailures           int    `yaml:"max_failures"`
	BaseLockout           string `yaml:"base_lockout"`
	MaxLockout            string `yaml:"max_lockout"`
	PerAddressMaxFailures *int   `yaml:"per_address_max_failures"`
	// Extranet smart lockout: per user, from addresses not familiar for it.
	UnfamiliarMaxPasswords int    `yaml:"unfamiliar_max_passwords"`
	UnfamiliarMaxCodes     int    `yaml:"unfamiliar_max_codes"`
	UserLockout            string `yaml:"user_lockout"`
	UserMaxLockout         string `yaml:"user_max_lockout"`
	FamiliarFor            string `yaml:"familiar_for"`
	Window                 string `yaml:"window"`
	// Admission of checks from unfamiliar addresses (a spray's).
	UnfamiliarChecks *int   `yaml:"unfamiliar_checks"`
	UnfamiliarQueue  *int   `yaml:"unfamiliar_queue"`
	UnfamiliarWait   string `yaml:"unfamiliar_wait"`
}

type fileStore struct {
	Driver   string     `yaml:"driver"`
	Path     string     `yaml:"path"`
	DSN      secretSpec `yaml:"dsn"`
	MaxConns int        `yaml:"max_conns"`
}

type fileAudit struct {
	Log       string `yaml:"log"`
	Store     *bool  `yaml:"store"`
	Retention string `yaml:"retention"`
}

type fileBranding struct {
	ProductName  string `yaml:"product_name"`
	LogoFile     string `yaml:"logo_file"`
	PrimaryColor string `yaml:"primary_color"`
	TemplateDir  string `yaml:"template_dir"`
	Language     string `yaml:"language"`
}

type fileLogging struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

type fileADFS struct {
	ClaimsProviderName            string   `yaml:"claims_provider_name"`
	OrganizationalAccountSuffixes []string `yaml:"organizational_account_suffixes"`
	RelyingPartyTrusts            []string `yaml:"relying_party_trusts"`
}
