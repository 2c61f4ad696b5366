package config

import (
	"time"

	"github.com/claimgate/claimgate/internal/lockout"
	"github.com/claimgate/claimgate/internal/signer"
	"github.com/claimgate/claimgate/internal/store/pgstore"
)

// Defaults, applied to keys the file leaves out. docs/configuration.md
// lists the same values; keep them in step. The directory.ldap defaults
// are not here: they are ldapsource's own (build_sections.go), so the file
// and the library cannot disagree.
const (
	DefaultDataDir           = "/var/lib/claimgate"
	DefaultListen            = ":8443"
	DefaultReadTimeout       = 15 * time.Second
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultShutdownTimeout   = 15 * time.Second
	DefaultMaxHeaderBytes    = 64 << 10 // AD FS's wctx makes long query strings
	DefaultCookieName        = "claimgate_session"
	DefaultSessionLifetime   = 8 * time.Hour // AD FS's own SSO lifetime
	DefaultSessionIdle       = 30 * time.Minute
	// MaxSessionLifetime bounds server.session.lifetime (and so its
	// idle_timeout): 90 days, AD FS's longest persistent SSO. Unbounded,
	// the new-session budget's window (idle timeout plus the cleanup)
	// wrapped past time.Duration's 292 years to a negative one.
	MaxSessionLifetime = 90 * 24 * time.Hour
	// A new sign-in's session row is about 1 KiB for AD FS (a GUID wctx)
	// and at most some 12 KiB: 256 MiB per idle timeout is some 250,000
	// sign-ins, 16 MiB per client address some 16,000 (one office NAT).
	DefaultNewSessionsMiB          = 256
	DefaultNewSessionsPerClientMiB = 16
	DefaultSigner                  = signer.KindGo
	DefaultPKCS11Sessions          = signer.DefaultSessions
	DefaultTokenLifetime           = 60 * time.Minute
	DefaultClockSkew               = 5 * time.Minute
	DefaultMetadataRefresh         = time.Hour
	DefaultTOTPDigits              = 6
	DefaultTOTPPeriod              = 30 * time.Second
	DefaultTOTPAlgorithm           = "SHA1" // what every authenticator app supports
	DefaultTOTPSkewSteps           = 1
	DefaultHOTPLookAhead           = 10
	DefaultHOTPResync              = 100
	DefaultEnrolmentCodeTTL        = 72 * time.Hour
	DefaultSMSCodeLength           = 6
	DefaultSMSCodeTTL              = 5 * time.Minute
	DefaultSMSMaxResends           = 3
	DefaultSMSRateMax              = 5
	DefaultSMSRateWindow           = time.Hour
	DefaultSMSMethod               = "POST"
	DefaultSMSTimeout              = 10 * time.Second
	DefaultMaxFailures             = lockout.DefaultMaxFailures
	DefaultBaseLockout             = lockout.DefaultBaseLockout
	DefaultMaxLockout              = lockout.DefaultMaxLockout
	DefaultPerAddressFailures      = lockout.DefaultPerAddressMaxFailures
	DefaultLockoutWindow           = lockout.DefaultWindow
	DefaultUserLockout             = lockout.DefaultUserLockout
	DefaultUserMaxLockout          = lockout.DefaultUserMaxLockout
	DefaultUnfamiliarMaxPw         = lockout.DefaultUnfamiliarMaxPasswords
	DefaultUnfamiliarMaxCodes      = lockout.DefaultUnfamiliarMaxCodes
	DefaultFamiliarFor             = lockout.DefaultFamiliarFor
	DefaultStoreDriver             = "sqlite"
	DefaultStoreFile               = "claimgate.db" // inside data_dir
	DefaultStoreMaxConns           = pgstore.DefaultMaxConns
	DefaultAuditLog                = "stderr"
	DefaultAuditRetention          = 400 * 24 * time.Hour
	DefaultProductName             = "claimgate"
	DefaultPrimaryColor            = "#1f5fa8"
	DefaultLanguage                = "en"
	DefaultLogLevel                = "info"
	DefaultLogFormat               = "text"
)

// DefaultLoginForms are the login-name forms accepted when none are listed.
func DefaultLoginForms() []string {
	return []string{LoginSAMAccountName, LoginDomainSAMAccountName, LoginUPN}
}

// Admission of password checks from unfamiliar addresses (lockout.
// unfamiliar_*): 0 checks means one per core (GOMAXPROCS); a short queue
// and wait, so a first sign-in from a new place during a spray is either
// checked soon or told at once to try again in a moment.
const (
	DefaultUnfamiliarChecks = 0
	DefaultUnfamiliarQueue  = 16
	DefaultUnfamiliarWait   = time.Second
)
