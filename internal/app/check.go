package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/rpsource"
	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/templates"
)

// What `claimgate check` verifies beyond the file, the keys and the
// directory: everything serve would refuse to start on, or start without
// being able to answer anyone, so that check passing means serve starts
// and works (admin review: the pages, the store's encryption key and the
// relying parties' metadata were first found wrong by serve).

// CheckResult is one line of `claimgate check`.
type CheckResult struct {
	Part   string // "pages", "store", `relying party "adfs"` ...
	OK     bool
	Detail string
}

// CheckPages loads the pages as serve does: the branding's language file
// and template directory.
func CheckPages(cfg *config.Config) CheckResult {
	if _, err := Pages(cfg); err != nil {
		return CheckResult{Part: "pages", Detail: err.Error()}
	}
	lang := cfg.Branding.Language
	if lang == "" {
		lang = "en"
	}
	where := "embedded"
	if cfg.Branding.TemplateDir != "" {
		where = "from " + cfg.Branding.TemplateDir
	}
	return CheckResult{Part: "pages", OK: true, Detail: fmt.Sprintf("ok, language %s, templates %s", lang, where)}
}

// Pages loads the configured pages; an error is a configuration problem
// at the branding key it comes from.
func Pages(cfg *config.Config) (*templates.Set, error) {
	p, err := pages(cfg)
	if err != nil {
		path := "branding.template_dir"
		if strings.Contains(err.Error(), "messages/") && cfg.Branding.Language != "" {
			path = "branding.language"
		}
		return nil, &config.ValidationError{Problems: []config.Problem{{Path: path, Message: err.Error()}}}
	}
	return p, nil
}

// CheckStore opens the store as the admin commands do, which verifies
// the encryption key against the one the database was created with. A
// SQLite database that does not exist yet is fine (serve creates it) and
// is not created here.
func CheckStore(ctx context.Context, cfg *config.Config) CheckResult {
	name := "sqlite " + cfg.Store.Path
	if cfg.Store.Driver == "postgres" {
		name = "postgres"
	}
	if cfg.Store.Driver != "postgres" {
		if _, err := os.Stat(cfg.Store.Path); errors.Is(err, os.ErrNotExist) {
			return CheckResult{Part: "store", OK: true, Detail: "no database yet at " + cfg.Store.Path + " (serve creates it at its first start)"}
		}
	}
	db, err := OpenStore(ctx, cfg)
	if err != nil {
		detail := err.Error()
		switch {
		case errors.Is(err, store.ErrKeyMismatch):
			detail += "; mfa.encryption_key must be the key this database was created with (after a restore: the key saved with the backup)"
		case errors.Is(err, store.ErrKeyMissing):
			detail += "; set mfa.encryption_key to the key this database was created with"
		}
		return CheckResult{Part: "store", Detail: detail}
	}
	if err := db.Close(); err != nil {
		return CheckResult{Part: "store", Detail: err.Error()}
	}
	return CheckResult{Part: "store", OK: true, Detail: "ok, " + name + ", encryption key matches"}
}

// IsStartupConfigError: err stops serve and a restart cannot cure it
// (a problem of the configuration or of what it names: the store's
// encryption key).
func IsStartupConfigError(err error) bool {
	var v *config.ValidationError
	return errors.As(err, &v) || errors.Is(err, store.ErrKeyMismatch) || errors.Is(err, store.ErrKeyMissing)
}

// CheckParties reads and verifies, once, the metadata of every relying
// party and SAML SP configured from it, as serve's first refresh does
// (the pins, the signature, the SP's settings), without writing a last
// good copy.
func CheckParties(ctx context.Context, cfg *config.Config) []CheckResult {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var out []CheckResult
	for _, p := range cfg.RelyingParties {
		if p.Metadata == nil {
			continue
		}
		m := p.Metadata
		src := &rpsource.Source{URL: m.URL, File: m.File, Pins: m.SigningThumbprints, Logger: quiet}
		out = append(out, checkSource(ctx, fmt.Sprintf("relying party %q metadata %s", p.Name, m.URL+m.File), src.Refresh, func() string {
			md := src.Current()
			var tps []string
			for _, c := range md.SigningCerts {
				tps = append(tps, certs.ThumbprintSHA1(c))
			}
			return fmt.Sprintf("ok, %s, token-signing certificates (SHA-1) %s", md.EntityID, strings.Join(tps, ", "))
		}))
	}
	for _, c := range cfg.SAML2.ServiceProviders {
		if c.Metadata == nil {
			continue
		}
		src := spSource(cfg, c, quiet, nil)
		src.CachePath = ""
		out = append(out, checkSource(ctx, fmt.Sprintf("service provider %q metadata %s", c.Name, c.Metadata.URL+c.Metadata.File), src.Refresh, func() string {
			return "ok, " + src.Current().EntityID
		}))
	}
	return out
}

func checkSource(ctx context.Context, part string, refresh func(context.Context) error, ok func() string) CheckResult {
	if err := refresh(ctx); err != nil {
		return CheckResult{Part: part, Detail: err.Error()}
	}
	return CheckResult{Part: part, OK: true, Detail: ok()}
}

// CheckAuditLog: a file named by audit.log can be appended to (it
// exists and is writable, or its directory is), as serve opens it. It is
// asked of the kernel (access(2)), so nothing is created here; a systemd
// sandbox (ReadWritePaths) that serve runs in is not seen from outside.
func CheckAuditLog(cfg *config.Config) (CheckResult, bool) {
	switch cfg.Audit.Log {
	case "", "stderr", "stdout", "none":
		return CheckResult{}, false
	}
	target := cfg.Audit.Log
	if _, err := os.Stat(target); errors.Is(err, os.ErrNotExist) {
		target = filepath.Dir(target)
	}
	if err := syscall.Access(target, 2 /* W_OK */); err != nil {
		return CheckResult{Part: "audit log", Detail: fmt.Sprintf("audit.log: cannot write %s: %v", target, err)}, true
	}
	return CheckResult{Part: "audit log", OK: true, Detail: "ok, " + cfg.Audit.Log + " can be written"}, true
}
