package config

import (
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/ldapsource"
)

func (b *builder) directory(f *fileConfig, c *Config) {
	if u := f.Directory.UsersFile; u != nil {
		c.Directory.UsersFile = &UsersFile{Path: b.path(u.Path)}
	}
	l := f.Directory.LDAP
	if l == nil {
		return
	}
	const p = "directory.ldap"
	d := &LDAP{
		URLs:          l.URLs,
		Mode:          or(l.Mode, LDAPInOrder),
		StartTLS:      l.StartTLS,
		InsecurePlain: l.InsecurePlain,
		CAFile:        b.path(l.CAFile),
		BindDN:        l.BindDN,
		BindPassword:  b.secret(p+".bind_password", l.BindPassword),
		BaseDN:        l.BaseDN,
		UserFilter:    or(l.UserFilter, ldapsource.DefaultUserFilter),
		LoginForms:    l.LoginForms,
		NetBIOSDomain: l.NetBIOSDomain,
		UPNSuffixes:   l.UPNSuffixes,
		Timeouts: LDAPTimeouts{
			Connect: b.dur(p+".timeouts.connect", l.Timeouts.Connect, ldapsource.DefaultConnectTimeout),
			Bind:    b.dur(p+".timeouts.bind", l.Timeouts.Bind, ldapsource.DefaultBindTimeout),
			Search:  b.dur(p+".timeouts.search", l.Timeouts.Search, ldapsource.DefaultSearchTimeout),
		},
		Pool: LDAPPool{
			Size:        intOr(l.Pool.Size, ldapsource.DefaultPoolSize),
			IdleTimeout: b.dur(p+".pool.idle_timeout", l.Pool.IdleTimeout, ldapsource.DefaultIdleTimeout),
		},
		RetryAfter:     b.dur(p+".retry_after", l.RetryAfter, ldapsource.DefaultRetryAfter),
		PhoneAttribute: or(l.PhoneAttribute, ldapsource.DefaultPhoneAttribute),
	}
	d.PasswordChangeURL = l.PasswordChangeURL
	if d.LoginForms == nil {
		d.LoginForms = DefaultLoginForms()
	}
	if len(l.Attributes) > 0 {
		d.Attributes = map[string]string{}
		for _, attr := range slices.Sorted(maps.Keys(l.Attributes)) {
			d.Attributes[attr] = b.claimType(p+".attributes."+attr, l.Attributes[attr])
		}
	}
	c.Directory.LDAP = d
}

func (b *builder) mfa(f *fileConfig, c *Config) {
	m := f.MFA
	c.MFA = MFA{
		Required: boolOr(m.Required, true),
		TOTP: TOTP{
			Digits:     intOr(m.TOTP.Digits, DefaultTOTPDigits),
			Period:     b.dur("mfa.totp.period", m.TOTP.Period, DefaultTOTPPeriod),
			Algorithm:  strings.ToUpper(or(m.TOTP.Algorithm, DefaultTOTPAlgorithm)),
			SkewSteps:  ptrOr(m.TOTP.SkewSteps, DefaultTOTPSkewSteps),
			IssuerName: m.TOTP.IssuerName, // defaulted from branding in build
		},
		HOTP: HOTP{
			LookAhead:       ptrOr(m.HOTP.LookAhead, DefaultHOTPLookAhead),
			ResyncLookAhead: ptrOr(m.HOTP.ResyncLookAhead, DefaultHOTPResync),
		},
		AppPasswords: AppPasswords{Policy: or(m.AppPasswords.Policy, DomainPasswordAllowed)},
		Enrolment: Enrolment{
			SelfEnrolment:   m.Enrolment.SelfEnrolment,
			AllowedNetworks: b.prefixes("mfa.enrolment.allowed_networks", m.Enrolment.AllowedNetworks),
			RequireCode:     m.Enrolment.RequireCode,
			CodeTTL:         b.dur("mfa.enrolment.code_ttl", m.Enrolment.CodeTTL, DefaultEnrolmentCodeTTL),
		},
		EncryptionKey: b.secret("mfa.encryption_key", m.EncryptionKey),
	}
}

func (b *builder) sms(f *fileConfig, c *Config) {
	s := f.SMS
	c.SMS = SMS{
		Enabled: s.Enabled,
		Gateway: Gateway{
			URL:          s.Gateway.URL,
			Method:       strings.ToUpper(or(s.Gateway.Method, DefaultSMSMethod)),
			Headers:      s.Gateway.Headers,
			BodyTemplate: s.Gateway.BodyTemplate,
			Token:        b.secret("sms.gateway.token", s.Gateway.Token),
			Timeout:      b.dur("sms.gateway.timeout", s.Gateway.Timeout, DefaultSMSTimeout),
		},
		CodeLength: intOr(s.CodeLength, DefaultSMSCodeLength),
		CodeTTL:    b.dur("sms.code_ttl", s.CodeTTL, DefaultSMSCodeTTL),
		MaxResends: ptrOr(s.MaxResends, DefaultSMSMaxResends),
		RateLimit: RateLimit{
			Max:    intOr(s.RateLimit.Max, DefaultSMSRateMax),
			Window: b.dur("sms.rate_limit.window", s.RateLimit.Window, DefaultSMSRateWindow),
		},
	}
}

func (b *builder) lockout(f *fileConfig, c *Config) {
	l := f.Lockout
	c.Lockout = Lockout{
		MaxFailures:            intOr(l.MaxFailures, DefaultMaxFailures),
		BaseLockout:            b.dur("lockout.base_lockout", l.BaseLockout, DefaultBaseLockout),
		MaxLockout:             b.dur("lockout.max_lockout", l.MaxLockout, DefaultMaxLockout),
		PerAddressMaxFailures:  ptrOr(l.PerAddressMaxFailures, DefaultPerAddressFailures),
		Window:                 b.dur("lockout.window", l.Window, DefaultLockoutWindow),
		UnfamiliarMaxPasswords: intOr(l.UnfamiliarMaxPasswords, DefaultUnfamiliarMaxPw),
		UnfamiliarMaxCodes:     intOr(l.UnfamiliarMaxCodes, DefaultUnfamiliarMaxCodes),
		UserLockout:            b.dur("lockout.user_lockout", l.UserLockout, DefaultUserLockout),
		UserMaxLockout:         b.dur("lockout.user_max_lockout", l.UserMaxLockout, DefaultUserMaxLockout),
		FamiliarFor:            b.dur("lockout.familiar_for", l.FamiliarFor, DefaultFamiliarFor),
		UnfamiliarChecks:       ptrOr(l.UnfamiliarChecks, DefaultUnfamiliarChecks),
		UnfamiliarQueue:        ptrOr(l.UnfamiliarQueue, DefaultUnfamiliarQueue),
		UnfamiliarWait:         b.dur("lockout.unfamiliar_wait", l.UnfamiliarWait, DefaultUnfamiliarWait),
	}
}

func (b *builder) store(f *fileConfig, c *Config) {
	s := f.Store
	c.Store = Store{Driver: or(s.Driver, DefaultStoreDriver), DSN: b.secret("store.dsn", s.DSN)}
	if c.Store.Driver == DefaultStoreDriver {
		c.Store.Path = b.path(or(s.Path, filepath.Join(c.DataDir, DefaultStoreFile)))
	} else if s.Path != "" {
		b.probs.add("store.path", "applies only to the sqlite driver")
	}
	if c.Store.Driver == "postgres" {
		c.Store.MaxConns = intOr(s.MaxConns, DefaultStoreMaxConns)
	} else {
		if s.MaxConns != 0 {
			b.probs.add("store.max_conns", "applies only to the postgres driver")
		}
		if s.DSN.set {
			b.probs.add("store.dsn", "applies only to the postgres driver (set store.driver: postgres)")
		}
	}
}

// claimValues builds the claim value choices (claims.name, claims.logon_sids).
func (b *builder) claimValues(f *fileConfig, c *Config) {
	c.Claims.Name = or(f.Claims.Name, ClaimNameWindowsAccount)
	c.Claims.LogonSIDs = f.Claims.LogonSIDs
	if f.Claims.LogonSIDs == nil {
		c.Claims.LogonSIDs = claims.DefaultLogonSIDs()
	}
}
