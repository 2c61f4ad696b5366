package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/claimgate/claimgate/internal/app"
	"github.com/claimgate/claimgate/internal/config"
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
