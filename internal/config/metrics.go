package config

import (
	"net"
	"strconv"
	"strings"
)

// Metrics is the Prometheus metrics listener.
type Metrics struct {
	// Listen is host:port for a plain-HTTP listener that serves only
	// /metrics; empty means no metrics. It belongs on loopback or a
	// management network: the numbers carry no secret, but they describe
	// the service (relying parties, domain controllers, sign-in rates) to
	// whoever can reach them.
	Listen string
}

type fileMetrics struct {
	Listen string `yaml:"listen"`
}

// metrics builds the metrics section; there is nothing to default.
func (b *builder) metrics(f *fileConfig, c *Config) {
	c.Metrics = Metrics{Listen: strings.TrimSpace(f.Metrics.Listen)}
}

// validateMetrics checks metrics.listen the way server.listen is checked,
// and that the two cannot be the same socket.
func (c *Config) validateMetrics(ps *problems) {
	l := c.Metrics.Listen
	if l == "" {
		return
	}
	host, port, err := net.SplitHostPort(l)
	if err != nil {
		ps.add("metrics.listen", "must be host:port, e.g. 127.0.0.1:9464 (or empty for no metrics)")
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		ps.add("metrics.listen", "port %q must be a number from 1 to 65535", port)
		return
	}
	if host != "" && net.ParseIP(host) == nil && strings.ContainsAny(host, " /") {
		ps.add("metrics.listen", "host %q is not an address or name", host)
		return
	}
	sh, sp, err := net.SplitHostPort(c.Server.Listen)
	if err == nil && sp == port && (host == sh || wildcardHost(host) || wildcardHost(sh)) {
		ps.add("metrics.listen", "uses the port of server.listen (%s): metrics need a listener of their own", c.Server.Listen)
	}
}

// wildcardHost reports whether a listen host means every address.
func wildcardHost(h string) bool {
	if h == "" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsUnspecified()
}
