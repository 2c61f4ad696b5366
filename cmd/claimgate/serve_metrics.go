package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/metrics"
)

// startMetrics opens the metrics listener (metrics.listen) and serves the
// process's one metrics.Metrics on it: plain HTTP, /metrics only, on its
// own socket so that it can sit on loopback or a management network while
// the sign-in pages face users. With metrics.listen empty it returns a nil
// Metrics (metrics off) and a stop that does nothing. stop shuts the
// listener down gracefully: a scrape in progress finishes, for at most
// server.shutdown_timeout.
func startMetrics(cfg *config.Config, log *slog.Logger) (_ *metrics.Metrics, stop func(), _ error) {
	if cfg.Metrics.Listen == "" {
		return nil, func() {}, nil
	}
	m := metrics.New()
	ln, err := net.Listen("tcp", cfg.Metrics.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("metrics.listen: %w", err)
	}
	conns := newActiveConns()
	srv := &http.Server{
		Handler:           m.Handler(),
		ConnState:         conns.track,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "err", err)
		}
	}()
	log.Info("metrics listening", "addr", ln.Addr().String(), "path", metrics.Path)
	return m, func() {
		wait := cfg.Server.ShutdownTimeout
		if wait <= 0 {
			wait = config.DefaultShutdownTimeout
		}
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			// As on the main listener, a connection that has sent no
			// request keeps Shutdown waiting for 5 s from its opening.
			if n := conns.count(); n > 0 {
				log.Warn("metrics listener: a scrape was still running at shutdown", "scrapes", n, "err", err)
			}
			_ = srv.Close()
		}
		<-done
	}, nil
}
