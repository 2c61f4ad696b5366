package lockout

import (
	"net"
	"net/netip"
	"strings"
)

// ClientAddr returns the address of the client a request came from.
// remoteAddr is the TCP peer (http.Request.RemoteAddr, "host:port" or a bare
// address); xff is the X-Forwarded-For header, several header lines joined
// with ",". The header is honoured only when the peer is in trusted: it is
// walked right to left, skipping addresses of trusted proxies, and the first
// untrusted address is the client. Everything left of it was written by the
// client and is ignored, so a spoofed header cannot choose the address.
// A malformed entry stops the walk at the last trusted hop. An unparsable
// remoteAddr gives the invalid netip.Addr.
func ClientAddr(remoteAddr, xff string, trusted []netip.Prefix) netip.Addr {
	peer := parseHostAddr(remoteAddr)
	if !peer.IsValid() || !isTrusted(peer, trusted) || strings.TrimSpace(xff) == "" {
		return peer
	}
	hops := strings.Split(xff, ",")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a := parseHostAddr(strings.TrimSpace(hops[i]))
		if !a.IsValid() {
			return client
		}
		client = a
		if !isTrusted(a, trusted) {
			return a
		}
	}
	return client
}

// parseHostAddr accepts "1.2.3.4", "1.2.3.4:5", "::1", "[::1]:5", and
// "[::1]"; zones are dropped and IPv4-mapped IPv6 is unmapped.
func parseHostAddr(s string) netip.Addr {
	if s == "" {
		return netip.Addr{}
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		if a, err := netip.ParseAddr(host); err == nil {
			return a.Unmap().WithZone("")
		}
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return a.Unmap().WithZone("")
		}
	}
	return netip.Addr{}
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
