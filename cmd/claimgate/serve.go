package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/claimgate/claimgate/internal/app"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/ldapsource"
)

func runServe(e *env, args []string) int {
	fs := newFlags(e, "serve", "serve --config FILE", `
Runs the sign-in service: the WS-Federation endpoint AD FS redirects users
to (/wsfed), the login pages, and the federation metadata AD FS imports
(/FederationMetadata/2007-06/FederationMetadata.xml). Stop it with Ctrl-C or
SIGTERM; requests in flight are finished first.`)
	cfgPath := fs.String("config", "", "the YAML configuration file (required)")
	if code, done := fs.parse(args); done {
		return code
	}
	cfg, code := loadConfig(e, "serve", *cfgPath)
	if cfg == nil {
		return code
	}
	log := newLogger(e, cfg.Logging)
	a, err := app.Build(e.ctx, cfg, app.Options{Logger: log})
	if err != nil {
		return fail(e, "%v", err)
	}
	defer a.Close()
	if a.LDAP != nil {
		// In the background: a hung domain controller must not delay the
		// start, and /readyz says "not ready" meanwhile.
		go warnDirectory(e.ctx, a.LDAP, log)
	}
	if err := serve(e.ctx, cfg, a, log, nil); err != nil {
		return fail(e, "%v", err)
	}
	return 0
}

// serve listens until ctx ends, then shuts down gracefully. ready, when
// set, is told the bound address (the demo prints it; tests use port 0).
func serve(ctx context.Context, cfg *config.Config, a *app.App, log *slog.Logger, ready func(addr string)) error {
	srv := &http.Server{
		Handler:           a.Handler,
		ReadTimeout:       cfg.Server.ReadTimeout,
		ReadHeaderTimeout: cfg.Server.ReadHeaderTimeout,
		WriteTimeout:      cfg.Server.WriteTimeout,
		IdleTimeout:       cfg.Server.IdleTimeout,
		MaxHeaderBytes:    cfg.Server.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("server.listen: %w", err)
	}
	if cfg.Server.TLS != nil {
		pair, err := tls.LoadX509KeyPair(cfg.Server.TLS.CertFile, cfg.Server.TLS.KeyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("server.tls: %w", err)
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	log.Info("claimgate listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL.String(), "entity_id", cfg.EntityID, "tls", cfg.Server.TLS != nil)
	if ready != nil {
		ready(ln.Addr().String())
	}
	go cleanup(ctx, a, log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	timeout := cfg.Server.ShutdownTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	log.Info("shutting down")
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
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

// cleanup drops expired sessions, used-code records and counters hourly.
func cleanup(ctx context.Context, a *app.App, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		now := time.Now()
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
