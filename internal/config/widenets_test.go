package config

import (
	"strings"
	"testing"
)

// TestNetworksThatCoverTheInternet: self-enrolment without a code must be
// limited to the organisation's networks, or a stolen password enrols the
// thief's phone; 0.0.0.0/0, ::/0 or two /1s (every address together)
// passed as such a limit (admin review F28). The same widths are refused
// as trusted proxies (two /1s passed there too, and would let anyone set
// X-Forwarded-For). The organisation's own ranges stay accepted.
func TestNetworksThatCoverTheInternet(t *testing.T) {
	enrol := func(nets string) string {
		return minimal + "  enrolment: {self_enrolment: true, require_code: false, allowed_networks: " + nets + "}\n"
	}
	for _, nets := range []string{"[0.0.0.0/0]", "['::/0']", "[0.0.0.0/1, 128.0.0.0/1]", "['::ffff:0.0.0.0/96']", "['8000::/1']"} {
		_, err := Load(writeConfig(t, enrol(nets)), envMap(nil))
		if ps := problemsOf(t, err); !hasProblem(ps, "mfa.enrolment.allowed_networks", "a large part of the Internet") {
			t.Errorf("allowed_networks %s: %v", nets, ps)
		}
	}
	mustLoad(t, enrol("[10.0.0.0/8, 192.168.10.0/24, 'fd00::/8', 'fc00::/7']"), nil)

	proxies := func(nets string) string {
		return strings.Replace(minimal, "server:\n", "server:\n  trusted_proxies: "+nets+"\n", 1)
	}
	_, err := Load(writeConfig(t, proxies("[0.0.0.0/1, 128.0.0.0/1]")), envMap(nil))
	if ps := problemsOf(t, err); !hasProblem(ps, "server.trusted_proxies", "a large part of the Internet") {
		t.Errorf("trusted_proxies of two /1s: %v", ps)
	}
}
