package main

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/app"
	"github.com/claimgate/claimgate/internal/config"
)

// A reload (SIGHUP) builds a new generation next to the running one: the
// configuration file read and validated again, the TLS certificate, the
// signing keys, the relying parties and the pages loaded again, and a new
// App wired around the same open store, metrics and argon2id Limiter (one
// bound on password-check memory for the process, not one per
// generation). Only when all of that succeeded does it take over, in one
// atomic swap: new requests and new TLS handshakes get the new
// generation, requests already running finish on the old one, and
// connections stay open. The old generation is closed
// when its last request has finished (or after server.shutdown_timeout).
// Any failure refuses the reload and leaves the running generation alone.

// generation is one configuration in service: its App, the TLS
// certificate new connections get, and the requests it is serving.
type generation struct {
	n    int // 1 for the configuration serve started with, then one up per reload
	cfg  *config.Config
	app  *app.App
	cert *tls.Certificate // nil without server.tls
	stop context.CancelFunc

	mu      sync.Mutex
	active  int
	retired bool
	idle    chan struct{} // closed once retired with no request left
}

// newGeneration puts a into service under ctx. Background work that
// belongs to it (the directory start-up check) ends when it is closed.
func newGeneration(ctx context.Context, n int, cfg *config.Config, a *app.App, cert *tls.Certificate, log *slog.Logger) *generation {
	ctx, stop := context.WithCancel(ctx)
	g := &generation{n: n, cfg: cfg, app: a, cert: cert, stop: stop, idle: make(chan struct{})}
	if a.LDAP != nil {
		// In the background: a hung domain controller must not delay the
		// start, and /readyz says "not ready" meanwhile.
		go warnDirectory(ctx, a.LDAP, log)
	}
	return g
}

// enter counts a request in; false once the generation is retired (the
// caller then takes the current one, which has already replaced it).
func (g *generation) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.retired {
		return false
	}
	g.active++
	return true
}

func (g *generation) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.active--
	if g.retired && g.active == 0 {
		close(g.idle)
	}
}

// retire lets no new request in; the channel is closed when the last
// running one has left.
func (g *generation) retire() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.retired {
		g.retired = true
		if g.active == 0 {
			close(g.idle)
		}
	}
	return g.idle
}

func (g *generation) running() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.active
}

func (g *generation) close() error {
	g.stop()
	return g.app.Close()
}

// live is the one http.Handler and TLS certificate source of the server:
// each request and each handshake uses the generation current at that
// moment.
type live struct{ cur atomic.Pointer[generation] }

func (l *live) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for {
		g := l.cur.Load()
		if g.enter() {
			defer g.leave()
			g.app.Handler.ServeHTTP(w, r)
			return
		}
	}
}

func (l *live) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return l.cur.Load().cert, nil
}

// reloader builds the next generation when asked to.
type reloader struct {
	trigger <-chan os.Signal
	// load reads and validates the configuration file again.
	load func() (*config.Config, error)
	// build wires an App for cfg around the open store.
	build func(ctx context.Context, cfg *config.Config) (*app.App, error)
}

// next builds the generation for the configuration file as it is now, or
// says why it cannot replace cur.
func (rl *reloader) next(ctx context.Context, cur *generation, log *slog.Logger) (*generation, error) {
	cfg, err := rl.load()
	if err != nil {
		return nil, err
	}
	if ps := app.RestartOnly(cur.cfg, cfg); len(ps) > 0 {
		return nil, &config.ValidationError{Problems: ps}
	}
	cert, err := loadTLS(cfg)
	if err != nil {
		return nil, err
	}
	a, err := rl.build(ctx, cfg)
	if err != nil {
		return nil, err
	}
	// The new generation takes over with its directory probed: /readyz
	// must not answer "not checked yet" after every reload. A reload never
	// makes sign-in worse: if the running directory works and the new
	// one does not (a wrong base DN, bind account or CA), it is refused.
	usable, detail, err := a.WaitDirectoryProbe(ctx)
	if err == nil && !usable {
		if _, curUsable, _ := cur.app.DirectoryState(); curUsable {
			err = &config.ValidationError{Problems: []config.Problem{{Path: "directory",
				Message: "sign-in would fail with the new configuration (" + detail + "), while the running one signs users in"}}}
		}
	}
	if err != nil {
		_ = a.Close()
		return nil, err
	}
	return newGeneration(ctx, cur.n+1, cfg, a, cert, log), nil
}

// loadTLS reads the server certificate and key; nil without server.tls.
func loadTLS(cfg *config.Config) (*tls.Certificate, error) {
	if cfg.Server.TLS == nil {
		return nil, nil
	}
	pair, err := tls.LoadX509KeyPair(cfg.Server.TLS.CertFile, cfg.Server.TLS.KeyFile)
	if err != nil {
		return nil, &config.ValidationError{Problems: []config.Problem{{Path: "server.tls", Message: err.Error()}}}
	}
	return &pair, nil
}

// logRefused logs every problem of a refused reload, each with its path.
func logRefused(log *slog.Logger, err error, cur *generation) {
	var ve *config.ValidationError
	n := 1
	if errors.As(err, &ve) {
		n = len(ve.Problems)
		for _, p := range ve.Problems {
			log.Error("reload refused", "path", p.Path, "line", p.Line, "problem", p.Message)
		}
	} else {
		log.Error("reload refused", "problem", err.Error())
	}
	log.Error("reload refused: the running configuration keeps serving; fix the file and reload again",
		"problems", n, "generation", cur.n, "signing", cur.app.Summary().Signing)
}

// logReloaded says what the new generation changed.
func logReloaded(log *slog.Logger, old, cur *generation) {
	o, n := old.app.Summary(), cur.app.Summary()
	attrs := []any{"generation", cur.n, "signing", n.Signing, "published", strings.Join(n.Published, ","), "relying_parties", n.RelyingParties}
	if o.Signing != n.Signing {
		attrs = append(attrs, "signing_before", o.Signing)
	}
	if strings.Join(o.Published, ",") != strings.Join(n.Published, ",") {
		attrs = append(attrs, "published_before", strings.Join(o.Published, ","))
	}
	if o.RelyingParties != n.RelyingParties {
		attrs = append(attrs, "relying_parties_before", o.RelyingParties)
	}
	if cur.cert != nil && cur.cert.Leaf != nil {
		attrs = append(attrs, "tls_certificate", certs.ThumbprintSHA1(cur.cert.Leaf))
	}
	log.Info("configuration reloaded", attrs...)
}

// drain closes a retired generation once its last request has finished,
// or after timeout (a request hung on a dead domain controller must not
// keep the old connections open for ever).
func drain(g *generation, idle <-chan struct{}, timeout time.Duration, log *slog.Logger) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	signing := g.app.Summary().Signing
	select {
	case <-idle:
		log.Info("previous configuration closed: its requests have finished", "generation", g.n, "signing", signing)
	case <-t.C:
		log.Warn("previous configuration closed with requests still running (server.shutdown_timeout)",
			"requests", g.running(), "after", timeout.String(), "generation", g.n, "signing", signing)
	}
	if err := g.close(); err != nil {
		log.Warn("closing the previous configuration", "err", err)
	}
}

// shutdownTimeout is server.shutdown_timeout, or 10 s if unset.
func shutdownTimeout(cfg *config.Config) time.Duration {
	if t := cfg.Server.ShutdownTimeout; t > 0 {
		return t
	}
	return 10 * time.Second
}
