package config

import (
	"strings"
	"testing"
)

// TestMetricsListen: metrics are off unless metrics.listen is set; a set
// one is kept as written.
func TestMetricsListen(t *testing.T) {
	if c := mustLoad(t, minimal, nil); c.Metrics.Listen != "" {
		t.Fatalf("metrics on by default: %+v", c.Metrics)
	}
	for _, l := range []string{"127.0.0.1:9464", "'[::1]:9464'", "mgmt.example.internal:9464", "':9464'"} {
		c := mustLoad(t, minimal+"metrics:\n  listen: "+l+"\n", nil)
		if want := strings.Trim(l, "'"); c.Metrics.Listen != want {
			t.Errorf("listen %s: got %q", l, c.Metrics.Listen)
		}
	}
}

// TestMetricsProblems: each mistake in metrics.listen is reported at its
// path and line, with the other problems of the file.
func TestMetricsProblems(t *testing.T) {
	for _, tc := range []struct{ listen, fragment string }{
		{"9464", "must be host:port"},
		{"localhost", "must be host:port"},
		{"127.0.0.1:0", "from 1 to 65535"},
		{"127.0.0.1:99999", "from 1 to 65535"},
		{"127.0.0.1:http", "from 1 to 65535"},
		{"'bad host/x:9464'", "not an address or name"},
		{"':8443'", "uses the port of server.listen"},        // the server's default :8443
		{"127.0.0.1:8443", "uses the port of server.listen"}, // the server listens on every address
	} {
		_, err := Load(writeConfig(t, minimal+"metrics:\n  listen: "+tc.listen+"\n"), nil)
		if err == nil {
			t.Errorf("listen %s: accepted", tc.listen)
			continue
		}
		ps := problemsOf(t, err)
		if !hasProblem(ps, "metrics.listen", tc.fragment) {
			t.Errorf("listen %s: got %v, want metrics.listen: %s", tc.listen, ps, tc.fragment)
			continue
		}
		for _, p := range ps {
			if p.Path == "metrics.listen" && p.Line != strings.Count(minimal, "\n")+2 {
				t.Errorf("listen %s: reported at line %d", tc.listen, p.Line)
			}
		}
	}
	// Another port on the server's address, or the server's port on
	// another address than the server's, is fine.
	text := strings.Replace(minimal, "server:\n", "server:\n  listen: 10.0.0.5:8443\n", 1)
	for _, l := range []string{"10.0.0.5:9464", "127.0.0.1:8443"} {
		if _, err := Load(writeConfig(t, text+"metrics:\n  listen: "+l+"\n"), nil); err != nil {
			t.Errorf("listen %s next to server 10.0.0.5:8443: %v", l, err)
		}
	}
	// Unknown keys are errors, as everywhere.
	_, err := Load(writeConfig(t, minimal+"metrics:\n  listen: 127.0.0.1:9464\n  path: /m\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "path") {
		t.Errorf("unknown key under metrics: %v", err)
	}
}
