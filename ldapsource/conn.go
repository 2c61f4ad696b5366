package ldapsource

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"sort"
	"sync/atomic"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// server is one configured domain controller and its health.
type server struct {
	url       string
	scheme    string // ldaps or ldap
	hostPort  string
	host      string
	deadUntil atomic.Int64 // unix nanoseconds; 0 = healthy
}

// connector opens connections, failing over between servers.
type connector struct {
	cfg     Config
	roots   *x509.CertPool
	servers []*server
	next    atomic.Uint64 // round-robin cursor
	log     *slog.Logger
}

func newConnector(cfg Config, roots *x509.CertPool) *connector {
	c := &connector{cfg: cfg, roots: roots, log: cfg.Logger}
	for _, raw := range cfg.URLs {
		u, _ := url.Parse(raw) // validated by normalize
		port := u.Port()
		if port == "" {
			port = DefaultPort
			if u.Scheme == "ldaps" {
				port = DefaultTLSPort
			}
		}
		c.servers = append(c.servers, &server{url: raw, scheme: u.Scheme, host: u.Hostname(),
			hostPort: net.JoinHostPort(u.Hostname(), port)})
	}
	return c
}

// order lists the servers to try for one new connection: healthy ones in
// the configured (or round-robin) order, then the ones marked dead, the
// soonest to recover first. Dead servers are tried last rather than
// skipped so that a full outage recovers on the first request after it.
func (c *connector) order(now time.Time) []*server {
	n := len(c.servers)
	start := 0
	if c.cfg.Mode == RoundRobin {
		start = int((c.next.Add(1) - 1) % uint64(n))
	}
	var alive, dead []*server
	for i := range n {
		s := c.servers[(start+i)%n]
		if s.deadUntil.Load() > now.UnixNano() {
			dead = append(dead, s)
		} else {
			alive = append(alive, s)
		}
	}
	sort.SliceStable(dead, func(i, j int) bool { return dead[i].deadUntil.Load() < dead[j].deadUntil.Load() })
	return append(alive, dead...)
}

// open returns a connection to the first server that answers; with
// serviceBind it is bound as the service account.
func (c *connector) open(ctx context.Context, serviceBind bool) (*conn, error) {
	var errs []error
	for _, s := range c.order(c.cfg.Now()) {
		start := time.Now()
		lc, err := c.connect(ctx, s, serviceBind)
		if err == nil {
			c.cfg.observe(s.url, OpConnect, start, nil)
			s.deadUntil.Store(0)
			return &conn{Conn: lc, server: s}, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("ldapsource: connect %s: %w", s.url, context.Cause(ctx))
		}
		c.cfg.observe(s.url, OpConnect, start, err)
		s.deadUntil.Store(c.cfg.Now().Add(c.cfg.RetryAfter).UnixNano())
		c.log.Warn("ldap server failed, trying the next one", "server", s.url, "err", err,
			"retry_after", c.cfg.RetryAfter)
		errs = append(errs, fmt.Errorf("%s: %w", s.url, err))
	}
	return nil, fmt.Errorf("ldapsource: no LDAP server available: %w", errors.Join(errs...))
}

// connect dials one server: TCP, TLS (LDAPS or StartTLS), optional service
// bind. The TCP connect and the TLS handshake share ConnectTimeout; the
// bind has BindTimeout.
func (c *connector) connect(ctx context.Context, s *server, serviceBind bool) (*ldap.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, c.cfg.ConnectTimeout)
	defer cancel()
	var d net.Dialer
	raw, err := d.DialContext(dctx, "tcp", s.hostPort)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	// The deadline bounds the handshake phases even if the server accepts
	// and then never answers; it is cleared once the connection is ready.
	deadline, _ := dctx.Deadline()
	_ = raw.SetDeadline(deadline)
	nc, isTLS := raw, false
	if s.scheme == "ldaps" {
		tc := tls.Client(raw, c.tlsConfig(s))
		if err := tc.HandshakeContext(dctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		nc, isTLS = tc, true
	}
	lc := ldap.NewConn(nc, isTLS)
	lc.Start()
	if s.scheme == "ldap" && c.cfg.StartTLS {
		err := run(dctx, lc, c.cfg.ConnectTimeout, func() error { return lc.StartTLS(c.tlsConfig(s)) })
		if err != nil {
			lc.Close()
			return nil, fmt.Errorf("StartTLS: %w", err)
		}
	}
	_ = raw.SetDeadline(time.Time{})
	if serviceBind {
		err := run(ctx, lc, c.cfg.BindTimeout, func() error { return lc.Bind(c.cfg.BindDN, c.cfg.BindPassword) })
		if err != nil {
			lc.Close()
			return nil, fmt.Errorf("service account bind: %w", err)
		}
	}
	return lc, nil
}

// tlsConfig verifies the server against the configured roots and the
// URL's host name (or IP address); there is no switch to turn this off.
func (c *connector) tlsConfig(s *server) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: c.roots, ServerName: s.host}
}

// run performs one LDAP operation bounded by timeout and by ctx: go-ldap
// has no context support, so the connection is closed when either ends,
// which makes the pending operation return at once.
func run(ctx context.Context, lc *ldap.Conn, timeout time.Duration, op func() error) error {
	lc.SetTimeout(timeout)
	octx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	stop := context.AfterFunc(octx, func() { lc.Close() })
	err := op()
	if !stop() {
		return fmt.Errorf("ldap operation abandoned: %w", context.Cause(octx))
	}
	return err
}

// conn is a pooled connection.
type conn struct {
	*ldap.Conn
	server   *server
	lastUsed time.Time
}

// broken reports whether err (from an operation on c) means the
// connection can no longer be used: network errors, timeouts, closing.
// LDAP result codes such as invalidCredentials leave it usable.
func (c *conn) broken(err error) bool {
	if c.IsClosing() {
		return true
	}
	if err == nil {
		return false
	}
	var le *ldap.Error
	if errors.As(err, &le) {
		return le.ResultCode >= ldap.ErrorNetwork // client-side codes: network, timeout, decoding
	}
	return true
}
