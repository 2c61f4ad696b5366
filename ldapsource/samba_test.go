package ldapsource

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/testutil"
)

// The integration tests run against the real Samba AD DC that
// scripts/samba/setup.sh provisions; CLAIMGATE_SAMBA_ENV names the env
// file it writes. Without it they fail (not skip): a green run must mean
// the directory code was proven against AD. `go test -short` is the
// documented unit-only mode and skips them.
type sambaEnv map[string]string

func samba(t testing.TB) sambaEnv {
	t.Helper()
	return testutil.SambaEnv(t, "CLAIMGATE_TEST_LDAP_URL", "CLAIMGATE_TEST_LDAP_STARTTLS_URL", "CLAIMGATE_TEST_LDAP_CA_FILE",
		"CLAIMGATE_TEST_LDAP_BIND_DN", "CLAIMGATE_TEST_LDAP_BIND_PASSWORD", "CLAIMGATE_TEST_LDAP_BASE_DN",
		"CLAIMGATE_TEST_LDAP_USER_PASSWORD", "CLAIMGATE_SAMBA_SMBCONF")
}

func (e sambaEnv) password() string { return e["CLAIMGATE_TEST_LDAP_USER_PASSWORD"] }

// config is a Config for the test DC over LDAPS with verification on.
func (e sambaEnv) config(t testing.TB) Config {
	return Config{
		URLs:           []string{e["CLAIMGATE_TEST_LDAP_URL"]},
		CAFile:         e["CLAIMGATE_TEST_LDAP_CA_FILE"],
		BindDN:         e["CLAIMGATE_TEST_LDAP_BIND_DN"],
		BindPassword:   e["CLAIMGATE_TEST_LDAP_BIND_PASSWORD"],
		BaseDN:         e["CLAIMGATE_TEST_LDAP_BASE_DN"],
		ConnectTimeout: 2 * time.Second,
		Attributes:     map[string]string{"department": "http://schemas.example.test/claims/department"},
		Logger:         slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

func (e sambaEnv) directory(t testing.TB, edit func(*Config)) *Directory {
	t.Helper()
	cfg := e.config(t)
	if edit != nil {
		edit(&cfg)
	}
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// sambaSID asks Samba's own tool for an object's SID, independently of
// this package's conversion.
func (e sambaEnv) sambaSID(t *testing.T, kind, name string) string {
	t.Helper()
	out, err := exec.Command("samba-tool", kind, "show", name, "-s", e["CLAIMGATE_SAMBA_SMBCONF"]).CombinedOutput()
	if err != nil {
		t.Fatalf("samba-tool %s show %s: %v\n%s", kind, name, err, out)
	}
	m := regexp.MustCompile(`(?m)^objectSid: (S-1-[0-9-]+)$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("samba-tool %s show %s: no objectSid in\n%s", kind, name, out)
	}
	return string(m[1])
}

// testWriter sends the Directory's log lines to the test log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// closedPort returns a loopback address where nothing listens.
func closedPort(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// hangingListener accepts connections and never answers: the worst kind
// of dead server (a firewall black hole or a hung DC).
func hangingListener(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return l.Addr().String()
}

// proxy is a TCP forwarder to the DC that counts connections and can drop
// them all, as a restarting DC or a load balancer would.
type proxy struct {
	addr     string
	mu       sync.Mutex
	conns    []net.Conn
	accepted int
}

func newProxy(t testing.TB, target string) *proxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: l.Addr().String()}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.accepted++
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	t.Cleanup(func() { l.Close(); p.dropAll() })
	return p
}

func (p *proxy) dropAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
