package lockout

import (
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}
	tests := []struct {
		name, remote, xff, want string
	}{
		{"no header", "198.51.100.7:4711", "", "198.51.100.7"},
		{"untrusted peer, spoofed header ignored", "198.51.100.7:4711", "10.1.1.1, 192.0.2.1", "198.51.100.7"},
		{"trusted proxy, one hop", "10.0.0.2:443", "203.0.113.9", "203.0.113.9"},
		{"trusted proxy, client-supplied prefix ignored", "10.0.0.2:443", "1.2.3.4, 203.0.113.9", "203.0.113.9"},
		{"spoofed trusted address left of the real client", "10.0.0.2:443", "10.9.9.9, 203.0.113.9", "203.0.113.9"},
		{"chain of trusted proxies skipped", "10.0.0.2:443", "203.0.113.9, 10.0.0.7, 10.0.0.3", "203.0.113.9"},
		{"all hops trusted: leftmost", "10.0.0.2:443", "10.0.0.5, 10.0.0.3", "10.0.0.5"},
		{"garbage stops at last trusted hop", "10.0.0.2:443", "203.0.113.9, not-an-ip, 10.0.0.3", "10.0.0.3"},
		{"garbage right next to peer", "10.0.0.2:443", "203.0.113.9, <script>", "10.0.0.2"},
		{"hop with port", "10.0.0.2:443", "203.0.113.9:5555", "203.0.113.9"},
		{"ipv6 hop with port", "10.0.0.2:443", "[2001:db8::1]:5555", "2001:db8::1"},
		{"ipv6 trusted peer", "[2001:db8:ffff::1]:443", "2001:db8:1::9", "2001:db8:1::9"},
		{"ipv4-mapped peer unmapped", "[::ffff:10.0.0.2]:443", "203.0.113.9", "203.0.113.9"},
		{"ipv4-mapped client unmapped", "10.0.0.2:443", "::ffff:203.0.113.9", "203.0.113.9"},
		{"zone dropped", "[fe80::1%eth0]:80", "", "fe80::1"},
		{"bare address remote", "198.51.100.7", "", "198.51.100.7"},
		{"empty entries", "10.0.0.2:443", " , ", "10.0.0.2"},
		{"unparsable remote", "pipe", "203.0.113.9", "invalid IP"},
	}
	for _, tt := range tests {
		got := ClientAddr(tt.remote, tt.xff, trusted)
		if got.String() != tt.want {
			t.Errorf("%s: ClientAddr(%q, %q) = %s, want %s", tt.name, tt.remote, tt.xff, got, tt.want)
		}
	}
	if got := ClientAddr("10.0.0.2:443", "203.0.113.9", nil); got.String() != "10.0.0.2" {
		t.Errorf("no trusted proxies configured: %s", got)
	}
}

func FuzzClientAddr(f *testing.F) {
	f.Add("10.0.0.2:443", "1.2.3.4, 203.0.113.9")
	f.Add("[::1]:1", "[::1]:2,,x")
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		got := ClientAddr(remote, xff, trusted)
		peer := ClientAddr(remote, "", trusted)
		// An untrusted peer's header never matters.
		if peer.IsValid() && !isTrusted(peer, trusted) && got != peer {
			t.Fatalf("untrusted peer %s, header changed result to %s", peer, got)
		}
	})
}
