package app

import (
	"log/slog"

	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/factors"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/userfile"
	"github.com/claimgate/claimgate/ldapsource"
)

// Both directories can spend a password check's work without making one,
// for locked-out attempts (login.Decoy).
var (
	_ login.Decoy = (*userfile.Directory)(nil)
	_ login.Decoy = (*ldapsource.Directory)(nil)
)

// Directory opens the configured directory. files is the users file when
// that is the directory (its TOTP secrets are a second factor), else nil.
func Directory(cfg *config.Config, log *slog.Logger) (dir login.Directory, files factors.FileSecrets, closeFn func() error, err error) {
	return directory(cfg, log)
}

func directory(cfg *config.Config, log *slog.Logger) (login.Directory, factors.FileSecrets, func() error, error) {
	return observedDirectory(cfg, log, nil, nil)
}

// observedDirectory is directory with obs told of every LDAP request
// (metrics; nil for none) and the users file's password checks bounded by
// argon2 (nil for none: the one-shot commands check one password).
func observedDirectory(cfg *config.Config, log *slog.Logger, obs ldapsource.Observer, argon2 *mfa.Limiter) (login.Directory, factors.FileSecrets, func() error, error) {
	if uf := cfg.Directory.UsersFile; uf != nil {
		d, err := userfile.Load(uf.Path)
		if err != nil {
			return nil, nil, nil, err
		}
		d.Limiter = argon2
		return mappedDirectory{dir: d, m: cfg.ClaimMapping()}, d, func() error { return nil }, nil
	}
	lc := LDAPConfig(cfg.Directory.LDAP, log)
	lc.Claims = cfg.ClaimMapping()
	lc.Observer = obs
	d, err := ldapsource.New(lc)
	if err != nil {
		return nil, nil, nil, err
	}
	return d, nil, d.Close, nil
}

// LDAPConfig maps the YAML ldap section onto ldapsource's options.
func LDAPConfig(c *config.LDAP, log *slog.Logger) ldapsource.Config {
	forms := map[string]ldapsource.LoginForm{
		config.LoginSAMAccountName:       ldapsource.FormSAM,
		config.LoginDomainSAMAccountName: ldapsource.FormDomainSAM,
		config.LoginUPN:                  ldapsource.FormUPN,
	}
	out := ldapsource.Config{
		URLs: c.URLs, StartTLS: c.StartTLS, InsecurePlain: c.InsecurePlain, CAFile: c.CAFile,
		BindDN: c.BindDN, BindPassword: c.BindPassword.Value(), BaseDN: c.BaseDN, UserFilter: c.UserFilter,
		NetBIOSDomain: c.NetBIOSDomain, UPNSuffixes: c.UPNSuffixes, ConnectTimeout: c.Timeouts.Connect, BindTimeout: c.Timeouts.Bind,
		SearchTimeout: c.Timeouts.Search, PoolSize: c.Pool.Size, IdleTimeout: c.Pool.IdleTimeout,
		RetryAfter: c.RetryAfter, Attributes: c.Attributes, PhoneAttribute: c.PhoneAttribute, Logger: log,
	}
	if c.Mode == config.LDAPRoundRobin {
		out.Mode = ldapsource.RoundRobin
	}
	for _, f := range c.LoginForms {
		out.LoginForms = append(out.LoginForms, forms[f])
	}
	return out
}
