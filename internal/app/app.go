package app

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/factors"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/login/wsfedflow"
	"github.com/claimgate/claimgate/internal/metrics"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/server"
	"github.com/claimgate/claimgate/internal/signer"
	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/ldapsource"
	"github.com/claimgate/claimgate/sts"
	"github.com/claimgate/claimgate/sts/metadata"
	"github.com/claimgate/claimgate/templates"
)

// Options adjust Build for the demo and for tests.
type Options struct {
	Logger *slog.Logger
	// AuditWriter overrides where audit JSON lines go (tests); nil means
	// what the configuration says.
	AuditWriter io.Writer
	// Mounts are extra handlers (the demo relying party).
	Mounts map[string]func(*App) http.Handler
	Now    func() time.Time
	// ReadyInterval is how often /readyz probes the directory; zero means
	// DefaultReadyInterval.
	ReadyInterval time.Duration
	// Store, when set, is used instead of opening the configured store, and
	// Close leaves it open: serve keeps one store across reloads, so its
	// connections and locks outlive a generation.
	Store store.Store
	// Metrics, when set, receives the counters and timings; it outlives
	// the App (serve makes one per process and keeps it across reloads).
	// Nil means no metrics.
	Metrics *metrics.Metrics
	// Argon2Limiter bounds the password derivations running at once, of
	// app passwords and of the users file (memory budget: its Cap() ×
	// mfa.Argon2Memory KiB). Like Metrics it outlives the App: serve makes
	// one per process, so generations overlapping after a reload share
	// the bound. Nil means mfa.NewLimiter(0) for this App alone.
	Argon2Limiter *mfa.Limiter
	// RefusedPacer measures real rejected password checks, so that a
	// refused attempt waits as long instead of doing work. Like
	// Argon2Limiter it outlives the App (serve keeps one across reloads:
	// a reload must not forget what a check costs). Nil means a new one
	// for this App alone.
	RefusedPacer *mfa.Pacer
	// StartBudget, when set, is the new-session budget's state that
	// outlives the App (serve keeps one across reloads): Build takes a
	// view of it with the configuration's bounds (login.StartBudget
	// WithBounds), so a reload keeps what was spent and the proven
	// clients. Its clock is its own: Now does not reach it. Nil means a
	// budget for this App alone.
	StartBudget *login.StartBudget
}

// App is a wired claimgate.
type App struct {
	Config   *config.Config
	Keys     *certs.Set
	Signer   signer.Signer // signs with Keys.Signing as signing.signer says; opened once, closed with the App
	Issuer   *sts.Issuer
	Metadata []byte
	Pages    *templates.Set
	Store    store.Store
	Handler  http.Handler
	Logger   *slog.Logger
	// LDAP is the Active Directory, nil when the directory is a users file.
	LDAP    *ldapsource.Directory
	ready   *readiness
	closers []func() error
	closed  sync.Once
	err     error
}

// CleanupInterval is how often `claimgate serve` deletes what has expired
// in the store (sessions, used codes, counters).
const CleanupInterval = time.Hour

// Close releases the store (unless Options.Store gave it) and directory
// connections and ends the background work. Only the first call does
// anything: a reloading server and its caller may both close an App.
func (a *App) Close() error {
	a.closed.Do(func() {
		var errs []error
		for i := len(a.closers) - 1; i >= 0; i-- {
			errs = append(errs, a.closers[i]())
		}
		a.err = errors.Join(errs...)
	})
	return a.err
}

// Build wires everything. On error nothing stays open.
func Build(ctx context.Context, cfg *config.Config, o Options) (_ *App, err error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	a := &App{Config: cfg, Logger: o.Logger}
	mx := newAppMetrics(o.Metrics, cfg)
	// Background work (metadata refresh) ends with the app, not only with
	// the caller's context.
	ctx, cancel := context.WithCancel(ctx)
	a.closers = append(a.closers, func() error { cancel(); return nil })
	defer func() {
		if err != nil {
			_ = a.Close()
		}
	}()
	// Every missing file at once, with its configuration path, before any
	// of them is opened.
	if ps := cfg.CheckFiles(); len(ps) > 0 {
		return nil, &config.ValidationError{Problems: ps}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	if a.Keys, err = cfg.LoadSigning(); err != nil {
		return nil, err
	}
	for _, w := range a.Keys.Warnings(o.Now()) {
		o.Logger.Warn("signing certificate", "warning", w)
	}
	if a.Signer, err = openSigner(cfg, a.Keys); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.Signer.Close)
	if a.Issuer, err = sts.NewIssuer(sts.IssuerConfig{
		EntityID: cfg.EntityID, Signer: a.Signer, Certificate: a.Keys.Signing.Certificate,
		Lifetime: cfg.Token.Lifetime, Skew: cfg.Token.ClockSkew, Now: o.Now,
	}); err != nil {
		return nil, err
	}
	if a.Metadata, err = buildMetadata(cfg, a.Keys, a.Signer); err != nil {
		return nil, err
	}
	if a.Pages, err = Pages(cfg); err != nil {
		return nil, err
	}
	if o.Store != nil {
		a.Store = o.Store
	} else {
		if a.Store, err = OpenStore(ctx, cfg); err != nil {
			return nil, err
		}
		a.closers = append(a.closers, a.Store.Close)
	}
	a.Store = mx.wrapStore(a.Store)
	argon2 := o.Argon2Limiter
	if argon2 == nil {
		argon2 = mfa.NewLimiter(0)
	}
	dir, files, closeDir, err := observedDirectory(cfg, o.Logger, mx.ldapObserver(), argon2)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, closeDir)
	a.LDAP, _ = dir.(*ldapsource.Directory)
	if a.LDAP != nil {
		a.closers = append(a.closers, warnADLockout(ctx, a.LDAP, cfg.Lockout, o.Logger))
	}
	a.ready = newReadiness(a, o)
	auditLog, closeAudit, err := auditLogger(cfg, a.Store, o, mx.auditSink)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, closeAudit)
	auditor := &factors.Auditor{Log: auditLog, Logger: o.Logger}
	parties, err := newRegistry(ctx, cfg, o.Logger)
	if err != nil {
		return nil, err
	}
	a.ready.parties = parties.health
	ws, err := wsfedflow.New(wsfedflow.Options{Parties: parties, Issuer: a.Issuer, Logger: o.Logger, RequestID: server.RequestID})
	if err != nil {
		return nil, err
	}
	protocols := []login.Protocol{ws}
	if sa, err := saml2Protocol(ctx, cfg, parties, a.Keys, a.Signer, a.Store, o.Logger, o.Now); err != nil {
		return nil, err
	} else if sa != nil {
		protocols = append(protocols, sa)
	}
	flowOpts := login.Options{
		Protocols: protocols, Directory: dir, Sessions: a.Store, Auditor: auditor,
		Pages: a.Pages, Logger: o.Logger, ClaimTypes: cfg.Claims.Issue,
		RequireSecondFactor: cfg.MFA.Required,
		AppPasswordOnly:     cfg.MFA.AppPasswords.Policy == config.AppPasswordOnly,
		SecureCookies:       cfg.BaseURL.Scheme == "https",
		CookieName:          cfg.Server.Session.CookieName,
		SessionLifetime:     cfg.Server.Session.Lifetime,
		SessionIdleTimeout:  cfg.Server.Session.IdleTimeout,
		StartBudget:         startBudget(cfg, o, mx),
		ClientAddr:          server.ClientAddr,
		RequestID:           server.RequestID,
		Now:                 o.Now,
	}
	if flowOpts.Page, err = loginPage(cfg); err != nil {
		return nil, err
	}
	if flowOpts.SecondFactor, err = secondFactor(cfg, a.Store, files, o.Logger); err != nil {
		return nil, err
	}
	flowOpts.AppPasswords = &factors.AppPasswords{Store: a.Store, Limiter: argon2, Used: func(ctx context.Context, user, name string) {
		id, addr, ua := server.RequestInfo(ctx)
		_ = auditLog.Log(ctx, audit.Record{Event: audit.EventAppPasswordUsed, Outcome: audit.OutcomeSuccess, User: user,
			ClientAddr: addr, UserAgent: ua, RequestID: id, Detail: map[string]string{"name": name}})
	}}
	if cfg.MFA.Enrolment.SelfEnrolment {
		flowOpts.Enrol = &factors.Enroller{Store: a.Store, Issuer: issuerName(cfg), Networks: cfg.MFA.Enrolment.AllowedNetworks,
			RequireCode: cfg.MFA.Enrolment.RequireCode, SkewSteps: cfg.MFA.TOTP.SkewSteps,
			Params: mfa.OATHParams{Algorithm: cfg.MFA.TOTP.Algorithm, Digits: cfg.MFA.TOTP.Digits, Period: cfg.MFA.TOTP.Period}}
	}
	flowOpts.Locker = store.NewLocker(a.Store, store.LockerOptions{Logger: o.Logger}) // wall clock: MaxWait and lease expiry are real time, whatever o.Now is
	if flowOpts.Throttle, err = newThrottle(cfg, a.Store, auditLog, o.RefusedPacer); err != nil {
		return nil, err
	}
	flow, err := login.New(flowOpts)
	if err != nil {
		return nil, err
	}
	var logo []byte
	if cfg.Branding.LogoFile != "" {
		if logo, err = os.ReadFile(cfg.Branding.LogoFile); err != nil {
			return nil, fmt.Errorf("branding.logo_file: %w", err)
		}
	}
	mounts := map[string]http.Handler{}
	for p, mk := range o.Mounts {
		mounts[p] = mk(a)
	}
	var dynamic func() []string
	if len(parties.sourced) > 0 {
		dynamic = parties.ReplyURLs
	}
	md := a.Metadata
	a.Handler, err = server.New(server.Options{
		Flow: flow, Pages: a.Pages, Metadata: func() []byte { return md }, ReplyURLs: parties.ReplyURLs(),
		DynamicReplyURLs: dynamic, Health: parties.health, Ready: a.ready.check,
		HTTPS: cfg.BaseURL.Scheme == "https", Logo: logo, Mounts: mounts, Logger: o.Logger, Now: o.Now,
		ClientAddr: clientAddr(cfg.Server.TrustedProxies), Observe: mx.observeHTTP(),
	})
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, mx.publish(a, parties))
	a.ready.start(ctx)
	return a, nil
}

// BuildMetadata signs the federation metadata once, with a signer opened
// for it and closed again (claimgate metadata; Build uses its own).
func BuildMetadata(cfg *config.Config, keys *certs.Set) (_ []byte, err error) {
	s, err := openSigner(cfg, keys)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	return buildMetadata(cfg, keys, s)
}

// openSigner opens the configured signer (signing.signer) for the
// signing pair; a failure is a problem at the configuration path that
// caused it.
func openSigner(cfg *config.Config, keys *certs.Set) (signer.Signer, error) {
	s, err := signer.Open(cfg.SignerSpec(keys.Signing))
	if errors.Is(err, signer.ErrUnavailable) {
		return nil, err // the HSM did not answer: not the configuration's fault, a restart may cure it
	}
	if err != nil {
		path := "signing.signer"
		if cfg.Signing.Signer == signer.KindPKCS11 && signer.Check(signer.KindPKCS11) == nil {
			path = "signing.pkcs11" // module, token, PIN or key label
		}
		return nil, &config.ValidationError{Problems: []config.Problem{{Path: path, Message: err.Error()}}}
	}
	return s, nil
}

func buildMetadata(cfg *config.Config, keys *certs.Set, s crypto.Signer) ([]byte, error) {
	var types []claims.TypeInfo
	for _, t := range cfg.Claims.Issue {
		types = append(types, claims.Lookup(t))
	}
	return metadata.Build(metadata.Config{
		EntityID: cfg.EntityID, Certificates: keys.Published,
		Signer: s, SigningCertificate: keys.Signing.Certificate,
		WSFed: &metadata.WSFedRole{PassiveEndpoint: cfg.WSFedURL(), ClaimTypes: types},
		SAML2: saml2Role(cfg),
	})
}

func pages(cfg *config.Config) (*templates.Set, error) {
	return templates.New(templates.Options{Dir: cfg.Branding.TemplateDir, Language: cfg.Branding.Language,
		Branding: templates.Branding{ProductName: cfg.Branding.ProductName, PrimaryColor: cfg.Branding.PrimaryColor, HasLogo: cfg.Branding.LogoFile != ""}})
}

func issuerName(cfg *config.Config) string {
	if cfg.MFA.TOTP.IssuerName != "" {
		return cfg.MFA.TOTP.IssuerName
	}
	if cfg.Branding.ProductName != "" {
		return cfg.Branding.ProductName
	}
	return "claimgate"
}

// encryptionKey is the key for secrets at rest; nil when none is
// configured (the store then refuses to keep second-factor secrets).
func encryptionKey(cfg *config.Config) ([]byte, error) {
	if !cfg.MFA.EncryptionKey.IsSet() {
		return nil, nil
	}
	k, err := cfg.MFA.Key()
	if err != nil {
		return nil, fmt.Errorf("mfa.encryption_key: %w", err)
	}
	return k, nil
}

// startBudget is the new-session budget with cfg's bounds: a view of
// o.StartBudget, or one of this App's own.
func startBudget(cfg *config.Config, o Options, mx *appMetrics) *login.StartBudget {
	bo := StartBudgetOptions(cfg)
	if o.StartBudget != nil {
		return o.StartBudget.WithBounds(bo.Total, bo.PerAddress, bo.Window)
	}
	bo.Now, bo.OnRefused = o.Now, mx.newSessionRefused()
	return login.NewStartBudget(bo)
}

// StartBudgetOptions are cfg's bounds of the new-session budget.
func StartBudgetOptions(cfg *config.Config) login.StartBudgetOptions {
	return login.StartBudgetOptions{
		Total: int64(cfg.Server.Session.NewSessionsMiB) << 20, PerAddress: int64(cfg.Server.Session.NewSessionsPerClientMiB) << 20,
		// A row nobody follows lives its idle timeout and then until the
		// next cleanup: the budget's window is that whole time, and a row
		// kept alive past it pays again (Session.Paid).
		Window: cfg.Server.Session.IdleTimeout + CleanupInterval,
	}
}
