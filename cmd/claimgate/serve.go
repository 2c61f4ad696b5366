package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/claimgate/claimgate/internal/app"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/ldapsource"
)

func runServe(e *env, args []string) int {
	fs := newFlags(e, "serve", "serve --config FILE", `
Runs the sign-in service: the WS-Federation endpoint AD FS redirects users
to (/wsfed), the login pages, and the federation metadata AD FS imports
(/FederationMetadata/2007-06/FederationMetadata.xml). Stop it with Ctrl-C or
SIGTERM; requests in flight are finished first.

SIGHUP (systemctl reload claimgate) reads the configuration file again and
switches to it without dropping a connection or a request: TLS and signing
certificates, relying parties, directory, second factors, branding. A file
with any problem is refused (the log lists each one) and the running
configuration keeps serving. A few settings need a restart: server.listen,
whether server.tls is used, the server timeouts, metrics.listen, store,
mfa.encryption_key, data_dir and logging; a reload that changes one of them
is refused.`)
	cfgPath := fs.String("config", "", "the YAML configuration file (required)")
	if code, done := fs.parse(args); done {
		return code
	}
	// SIGHUP is caught before anything else, and until the process ends:
	// its default action kills the process, and systemd accepts
	// `systemctl reload` as soon as the binary runs (Type=exec), while the
	// store, the metrics listener and the directory are still starting. A
	// SIGHUP that arrives then is kept (the channel holds one) and handled
	// once the service is up.
	hup := e.reload
	if hup == nil {
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGHUP)
		defer signal.Stop(c)
		hup = c
	}
	cfg, code := loadConfig(e, "serve", *cfgPath)
	if cfg == nil {
		if code != 0 {
			code = exitConfig // exitcode.go
		}
		return code
	}
	log := newLogger(e, cfg.Logging)
	for _, w := range cfg.ExposedFiles() {
		log.Warn("secret file readable by others", "problem", w)
	}
	// One store for the whole process: every generation (reload.go)
	// shares its connections and locks.
	st, err := app.OpenSharedStore(e.ctx, cfg)
	if err != nil {
		return startFailed(e, err)
	}
	defer func() {
		// Close writes the audit records still queued (store.AuditBatcher);
		// one it could not write is lost, and the operator must hear of it.
		if err := st.Close(); err != nil {
			log.Error("closing the store failed; audit records queued at shutdown may be lost", "err", err)
		}
	}()
	// One Metrics for the process too: counters survive reloads.
	mtr, stopMetrics, err := startMetrics(cfg, log)
	if err != nil {
		return fail(e, "%v", err)
	}
	defer stopMetrics()
	// And one Limiter: generations overlapping after a reload share one
	// bound on argon2id memory instead of adding theirs.
	// And one new-session budget: a reload must neither forget the
	// addresses users signed in from nor hand a flood a fresh budget.
	bo := app.StartBudgetOptions(cfg)
	bo.OnRefused = mtr.NewSessionRefused
	opts := app.Options{Logger: log, Store: st, Metrics: mtr, Argon2Limiter: mfa.NewLimiter(0), RefusedPacer: mfa.NewPacer(mfa.PacerOptions{}),
		StartBudget: login.NewStartBudget(bo)}
	a, err := app.Build(e.ctx, cfg, opts)
	if err != nil {
		return startFailed(e, err)
	}
	defer a.Close()
	rl := &reloader{
		trigger: hup,
		load:    func() (*config.Config, error) { return config.Load(*cfgPath, e.getenv) },
		build: func(ctx context.Context, c *config.Config) (*app.App, error) {
			return app.Build(ctx, c, opts) // the same options: only the configuration changes
		},
	}
	if err := serveReloading(e.ctx, cfg, a, log, nil, rl); err != nil {
		return fail(e, "%v", err)
	}
	return 0
}

// serve listens until ctx ends, then shuts down gracefully: the listener
// closes and running requests finish (for at most
// server.shutdown_timeout). ready, when set, is told the bound address
// (the demo prints it; tests use port 0). serve closes a.
func serve(ctx context.Context, cfg *config.Config, a *app.App, log *slog.Logger, ready func(addr string)) error {
	return serveReloading(ctx, cfg, a, log, ready, nil)
}

// serveReloading is serve that also, on each trigger of rl, replaces the
// running generation (reload.go). It closes a and every App it built.
func serveReloading(ctx context.Context, cfg *config.Config, a *app.App, log *slog.Logger, ready func(addr string), rl *reloader) error {
	cert, err := loadTLS(cfg)
	if err != nil {
		_ = a.Close()
		return err
	}
	l := &live{}
	l.cur.Store(newGeneration(ctx, 1, cfg, a, cert, log))
	var drains sync.WaitGroup
	defer func() {
		_ = l.cur.Load().close()
		drains.Wait()
	}()
	conns := newActiveConns()
	srv := &http.Server{
		Handler:           l,
		ReadTimeout:       cfg.Server.ReadTimeout,
		ReadHeaderTimeout: cfg.Server.ReadHeaderTimeout,
		WriteTimeout:      cfg.Server.WriteTimeout,
		IdleTimeout:       cfg.Server.IdleTimeout,
		MaxHeaderBytes:    cfg.Server.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ConnState:         conns.track,
	}
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("server.listen: %w", err)
	}
	if cert != nil {
		// Each handshake asks for the certificate: after a reload new
		// connections get the new one, open ones keep theirs.
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: l.getCertificate}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	log.Info("claimgate listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL.String(), "entity_id", cfg.EntityID, "tls", cfg.Server.TLS != nil)
	if ready != nil {
		ready(ln.Addr().String())
	}
	go cleanup(ctx, func() *app.App { return l.cur.Load().app }, log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var trigger <-chan os.Signal
	if rl != nil {
		trigger = rl.trigger
	}
	for running := true; running; {
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
			running = false
		case <-trigger:
			cur := l.cur.Load()
			next, err := rl.next(ctx, cur, log)
			if err != nil {
				logRefused(log, err, cur)
				continue
			}
			l.cur.Store(next)
			idle := cur.retire()
			logReloaded(log, cur, next)
			drains.Add(1)
			go func() { defer drains.Done(); drain(cur, idle, shutdownTimeout(cur.cfg), log) }()
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout(l.cur.Load().cfg))
	defer cancel()
	log.Info("shutting down: finishing the requests in flight")
	if err := srv.Shutdown(sctx); err != nil {
		if n := conns.count(); n > 0 {
			return fmt.Errorf("shutdown: %d request(s) still running after server.shutdown_timeout: %w", n, err)
		}
		// net/http waits 5 s from its opening for a connection that has
		// not sent a request (a load balancer's or a browser's spare one)
		// before closing it, so one opened just before the stop outlasts a
		// short shutdown_timeout. No request is in progress on any
		// connection (read, handled or being answered): closing loses
		// nothing.
		_ = srv.Close()
		log.Info("shutting down: closed the connections that had not sent a request")
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped: every request finished")
	return nil
}

// warnDirectory probes every domain controller as `claimgate check` does
// (connect, TLS, service bind) and then the reads sign-in makes (base DN,
// user filter, attributes), and logs a warning per problem with the
// configuration key to fix, so a wrong CA, a refused bind or a missing
// base DN is in the log at start, not found by the first user. It never
// stops the service: a DC may come back, and /readyz tells a load
// balancer meanwhile.
func warnDirectory(ctx context.Context, d *ldapsource.Directory, log *slog.Logger) {
	bound := 0
	for _, r := range d.Check(ctx) {
		if ctx.Err() != nil {
			return
		}
		if r.Err == nil {
			bound++
			continue
		}
		problem := "cannot connect: " + r.Err.Error()
		if r.Connected {
			problem = "service account bind failed: " + r.Err.Error()
		}
		keys := "directory.ldap.urls"
		if r.Finding != nil {
			problem, keys = r.Finding.Text, findingKeys(r.Finding)
		}
		log.Warn("domain controller not usable", "server", r.URL, "problem", problem, "check", keys)
	}
	if bound == 0 {
		log.Warn("no domain controller accepts the service account: every sign-in fails until one does")
		return
	}
	rep := d.CheckSearch(ctx)
	if ctx.Err() != nil {
		return
	}
	if rep.Err != nil {
		log.Warn("directory search failed", "server", rep.Server, "problem", rep.Err.Error())
	}
	for _, f := range rep.Findings {
		msg := "directory configuration problem: sign-in fails"
		if f.Warning {
			msg = "directory configuration warning"
		}
		log.Warn(msg, "server", rep.Server, "problem", f.Text, "check", findingKeys(&f))
	}
	if rep.OK() {
		log.Info("directory ok", "domain_controllers_usable", bound, "searched_on", rep.Server)
	}
}

// findingKeys names the configuration keys a finding is about, as
// `claimgate check` names them.
func findingKeys(f *ldapsource.Finding) string {
	keys := make([]string, len(f.Fields))
	for i, field := range f.Fields {
		name, index, _ := strings.Cut(field, "[")
		if k, ok := ldapKeys[name]; ok {
			name = k
		}
		if index != "" {
			name += "[" + index
		}
		keys[i] = "directory.ldap." + name
	}
	return strings.Join(keys, ", ")
}

// cleanup drops expired sessions, used-code records and counters every
// app.CleanupInterval,
// with the retention of the generation current at the time.
func cleanup(ctx context.Context, current func() *app.App, log *slog.Logger) {
	t := time.NewTicker(app.CleanupInterval)
	defer t.Stop()
	for {
		now := time.Now()
		a := current()
		n, err := a.Store.Cleanup(ctx, now, 30*24*time.Hour)
		if err != nil && ctx.Err() == nil {
			log.Warn("store cleanup failed", "err", err)
		} else if n > 0 {
			log.Info("store cleanup", "deleted", n)
		}
		if r := a.Config.Audit.Retention; r > 0 {
			if n, err := a.Store.PruneAudit(ctx, now.Add(-r)); err != nil && ctx.Err() == nil {
				log.Warn("audit retention failed", "err", err)
			} else if n > 0 {
				log.Info("audit records past retention deleted", "deleted", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func newLogger(e *env, c config.Logging) *slog.Logger {
	level := slog.LevelInfo
	switch c.Level {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "text" {
		return slog.New(slog.NewTextHandler(e.stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(e.stderr, opts))
}
