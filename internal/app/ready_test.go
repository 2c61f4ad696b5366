package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/internal/userfile"
)

// tcpProxy forwards a loopback port to a domain controller; stop and
// start play the DC going away and coming back, without touching the DC.
// It keeps its port for the whole test: while stopped it accepts and at
// once closes each connection (the TLS handshake fails, as against a DC
// whose service has stopped). Giving the port up and listening on it again
// could fail, another socket of the busy test machine having taken it in
// between (an outgoing connection's ephemeral port, or a listener on :0).
type tcpProxy struct {
	t      *testing.T
	addr   string // the port it listens on, for the whole test
	target string
	ln     net.Listener

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]bool
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy listen: %v", err)
	}
	p := &tcpProxy{t: t, addr: ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]bool{}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
	t.Cleanup(func() { ln.Close(); p.stop() })
	return p
}

func (p *tcpProxy) forward(c net.Conn) {
	if !p.track(c) {
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(up) {
		c.Close()
		return
	}
	go func() { _, _ = io.Copy(up, c); up.Close() }()
	_, _ = io.Copy(c, up)
	c.Close()
}

// track registers a connection; false (and closed) while stopped.
func (p *tcpProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

// start lets connections through again, as a DC that comes back.
func (p *tcpProxy) start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// stop closes every connection through the port and every new one, as a
// DC that stops does: pooled connections break, new ones fail.
func (p *tcpProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// readyConfig writes a configuration with the given directory section and
// loads it.
func readyConfig(t *testing.T, directory string, kp *certs.KeyPair) *config.Config {
	t.Helper()
	dir := t.TempDir()
	if kp == nil {
		var err error
		if kp, err = certs.Generate(certs.GenerateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := certs.WritePEM(kp, filepath.Join(dir, "s.crt"), filepath.Join(dir, "s.key"), false); err != nil {
		t.Fatal(err)
	}
	h, err := mfa.HashPassword("pw", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := userfile.Write(filepath.Join(dir, "users.yaml"), &userfile.File{Users: []userfile.User{{Username: "alice", PasswordHash: h}}}); err != nil {
		t.Fatal(err)
	}
	yaml := `entity_id: https://sts.example.test/
base_url: https://sts.example.test
data_dir: ` + dir + `
server:
  listen: 127.0.0.1:8443
  insecure_http: true
signing:
  keys: [{cert_file: s.crt, key_file: s.key}]
relying_parties:
  - {name: adfs, identifier: "http://adfs.example.test/adfs/services/trust", reply_url: "https://adfs.example.test/adfs/ls/"}
` + directory + `
mfa:
  encryption_key: 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
audit: {log: none}
`
	path := filepath.Join(dir, "claimgate.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func buildReady(t *testing.T, cfg *config.Config, o Options) *App {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := Build(ctx, cfg, o)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); a.Close() })
	return a
}

// readyz asks /readyz as a client on this host (the reasons) and as a
// remote one.
func readyz(t *testing.T, a *App) (local int, body string, remote int) {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/readyz", nil)
	req.RemoteAddr = "127.0.0.1:40000"
	a.Handler.ServeHTTP(rec, req)
	far := httptest.NewRecorder()
	a.Handler.ServeHTTP(far, httptest.NewRequest(http.MethodGet, "/readyz", nil)) // 192.0.2.1
	return rec.Code, rec.Body.String(), far.Code
}

// waitReady polls /readyz until it answers want (a bounded loop: the
// deadline only turns a hang into a failure, it asserts no timing).
func waitReady(t *testing.T, a *App, want int, why string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, body, remote := readyz(t, a)
		if code == want && remote == want {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: /readyz still %d (remote %d):\n%s", why, code, remote, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReadyzFollowsTheDomainController: against the real Samba AD DC
// through a proxy, /readyz is 200 while the DC answers the service
// account's bind and searches, 503 naming the directory once it stops
// (the proxy closed), and 200 again when it returns; /healthz (liveness)
// stays 200 throughout. Before, there was only /healthz, 200 while no
// one could sign in.
func TestReadyzFollowsTheDomainController(t *testing.T) {
	env := testutil.SambaEnv(t, "CLAIMGATE_TEST_LDAP_URL", "CLAIMGATE_TEST_LDAP_CA_FILE", "CLAIMGATE_TEST_LDAP_BIND_DN",
		"CLAIMGATE_TEST_LDAP_BIND_PASSWORD", "CLAIMGATE_TEST_LDAP_BASE_DN", "CLAIMGATE_TEST_LDAP_NETBIOS")
	dc := strings.TrimPrefix(env["CLAIMGATE_TEST_LDAP_URL"], "ldaps://")
	proxy := newTCPProxy(t, dc)
	t.Setenv("READY_TEST_BIND_PASSWORD", env["CLAIMGATE_TEST_LDAP_BIND_PASSWORD"])
	cfg := readyConfig(t, `directory:
  ldap:
    urls: [ldaps://`+proxy.addr+`]
    ca_file: `+env["CLAIMGATE_TEST_LDAP_CA_FILE"]+`
    bind_dn: "`+env["CLAIMGATE_TEST_LDAP_BIND_DN"]+`"
    bind_password: {env: READY_TEST_BIND_PASSWORD}
    base_dn: "`+env["CLAIMGATE_TEST_LDAP_BASE_DN"]+`"
    netbios_domain: `+env["CLAIMGATE_TEST_LDAP_NETBIOS"]+`
    timeouts: {connect: 2s}
    retry_after: 1s
`, nil)
	var log testutil.SyncBuffer
	a := buildReady(t, cfg, Options{ReadyInterval: 100 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	healthy := func() {
		t.Helper()
		rec := httptest.NewRecorder()
		a.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("/healthz %d: liveness must not follow the directory", rec.Code)
		}
	}

	body := waitReady(t, a, http.StatusOK, "DC up")
	t.Logf("DC up:\n%s", body)
	for _, want := range []string{"directory: ok, ldaps://" + proxy.addr, "store: ok", "signing key: ok"} {
		if !strings.Contains(body, want) {
			t.Errorf("ready body lacks %q:\n%s", want, body)
		}
	}
	healthy()

	proxy.stop()
	body = waitReady(t, a, http.StatusServiceUnavailable, "DC stopped")
	t.Logf("DC stopped:\n%s", body)
	if !strings.HasPrefix(body, "not ready\ndirectory: ") || !strings.Contains(body, proxy.addr) || !strings.Contains(body, "store: ok") {
		t.Errorf("unready body:\n%s", body)
	}
	if !strings.Contains(log.String(), "directory not usable") {
		t.Errorf("no warning logged when the directory went away:\n%s", log.String())
	}
	healthy()

	proxy.start()
	waitReady(t, a, http.StatusOK, "DC back")
	if !strings.Contains(log.String(), "directory usable again") {
		t.Errorf("no note logged when the directory came back:\n%s", log.String())
	}
	healthy()
}

// TestReadyzStoreAndSigningKey: with the users file (always ready as a
// directory), a store that fails its query and a signing certificate
// that has expired each make /readyz 503 and are named; the remote
// client learns only "not ready".
func TestReadyzStoreAndSigningKey(t *testing.T) {
	users := "directory:\n  users_file: {path: users.yaml}\n"
	a := buildReady(t, readyConfig(t, users, nil), Options{})
	if code, body, _ := readyz(t, a); code != http.StatusOK || !strings.Contains(body, "directory: users file") {
		t.Fatalf("users file: %d\n%s", code, body)
	}
	if err := a.Store.Close(); err != nil {
		t.Fatal(err)
	}
	code, body, remote := readyz(t, a)
	if code != http.StatusServiceUnavailable || remote != http.StatusServiceUnavailable || !strings.Contains(body, "\nstore: ") ||
		strings.Contains(body, "store: ok") {
		t.Errorf("store closed: %d/%d\n%s", code, remote, body)
	}
	far := httptest.NewRecorder()
	a.Handler.ServeHTTP(far, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if far.Body.String() != "not ready\n" {
		t.Errorf("remote client sees %q", far.Body.String())
	}

	kp, err := certs.Generate(certs.GenerateOptions{CommonName: "short-lived", ValidFor: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	later := func() time.Time { return time.Now().Add(2 * time.Hour) }
	b := buildReady(t, readyConfig(t, users, kp), Options{Now: later})
	if code, body, _ := readyz(t, b); code != http.StatusServiceUnavailable || !strings.Contains(body, "signing key: certificate short-lived expired") {
		t.Errorf("expired signing certificate: %d\n%s", code, body)
	}
}
