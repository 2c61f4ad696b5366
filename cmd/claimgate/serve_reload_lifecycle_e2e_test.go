package main

import (
	"bytes"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/claimgate/claimgate/certs"
)

// TestServeShutdownFinishesRequestsInFlight: when the service is told to
// stop (SIGTERM, here its context) while a request is running (a code
// page waiting for the SMS gateway), it stops accepting connections but
// lets that request finish with its page, and only then exits, with 0.
func TestServeShutdownFinishesRequestsInFlight(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; run without -short (make test)")
	}
	gw := newHoldGateway(t)
	held := e2eUser{Name: "held", Password: newPassword(t), Mobile: "+15550100299"}
	fx := newFixture(t, held)
	fx.writeConfig(t, serveConfig{extra: smsConfig(gw)})
	srv := startReloadable(t, fx, make(chan os.Signal, 1), http.DefaultClient, fx.base)

	release := gw.holdPhone(held.Mobile)
	defer release()
	hb := newBrowser(nil)
	if err := hb.get("begin", fx.rp.beginURL()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		// POST /login, then the redirect's GET /login/code sends the SMS.
		done <- hb.postForm("password", fx.base+"/login", url.Values{"username": {held.Name}, "password": {held.Password}})
	}()
	select {
	case <-gw.arrived:
	case err := <-done:
		t.Fatalf("the sign-in ended before its SMS was held: %v", err)
	}
	srv.cancel()
	srv.waitRecord(t, 0, "shutting down")
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("tcp", fx.addr)
		if err != nil {
			break // the listener is closed
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections after shutdown began")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case code := <-srv.done:
		t.Fatalf("serve exited (%d) with a request still running:\n%s", code, srv.stderr.String())
	default:
	}
	release()
	if err := <-done; err != nil {
		t.Fatalf("the request in flight at shutdown failed: %v", err)
	}
	if hb.path != "/login/code" || !strings.Contains(hb.last, `name="code"`) {
		t.Fatalf("the request in flight got %s:\n%s", hb.path, hb.last)
	}
	select {
	case code := <-srv.done:
		srv.done <- code // for the cleanup's stop
		if code != 0 {
			t.Fatalf("serve exited with %d:\n%s", code, srv.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not exit after its last request")
	}
	if i := srv.waitRecord(t, 0, "stopped"); srv.records()[i].msg() != "stopped: every request finished" {
		t.Errorf("last record: %v", srv.records()[i])
	}
}

// tlsGet does one GET through tr and reports the server certificate and
// whether the connection was an open one reused.
func tlsGet(t *testing.T, tr *http.Transport, u string) (*x509.Certificate, bool) {
	t.Helper()
	reused := false
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused },
	}))
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.TLS == nil {
		t.Fatalf("GET %s: status %d, TLS %v", u, resp.StatusCode, resp.TLS != nil)
	}
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.TLS.PeerCertificates[0], reused
}

// TestServeReloadSwapsTheTLSCertificate: the server certificate renewed in
// place (same files) is served to new connections after a reload, while a
// keep-alive connection opened before it goes on working with the old
// one. A new key that does not match its certificate, and switching TLS
// off, are refused; new connections keep the certificate in force.
func TestServeReloadSwapsTheTLSCertificate(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; run without -short (make test)")
	}
	fx := newFixture(t, e2eUser{Name: "alice", Password: newPassword(t)})
	fx.writeConfig(t, serveConfig{})
	cfg, err := os.ReadFile(fx.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	withTLS := bytes.Replace(cfg, []byte("  insecure_http: true\n"), []byte("  tls: {cert_file: tls.crt, key_file: tls.key}\n"), 1)
	withTLS = bytes.Replace(withTLS, []byte("base_url: http://"), []byte("base_url: https://"), 1)
	if bytes.Count(withTLS, []byte("https://"+fx.addr)) != 1 || !bytes.Contains(withTLS, []byte("tls: {")) {
		t.Fatalf("not switched to TLS:\n%s", withTLS)
	}
	if err := os.WriteFile(fx.cfgPath, withTLS, 0o600); err != nil {
		t.Fatal(err)
	}
	crt, key := filepath.Join(fx.dir, "tls.crt"), filepath.Join(fx.dir, "tls.key")
	newTLS := func(cn string) *certs.KeyPair {
		kp, err := certs.Generate(certs.GenerateOptions{CommonName: cn})
		if err != nil {
			t.Fatal(err)
		}
		return kp
	}
	t1, t2 := newTLS("tls one"), newTLS("tls two")
	if err := certs.WritePEM(t1, crt, key, false); err != nil {
		t.Fatal(err)
	}
	base := "https://" + fx.addr
	hup := make(chan os.Signal, 1)
	srv := startReloadable(t, fx, hup, &http.Client{Transport: insecureTLS()}, base)

	old := insecureTLS() // one keep-alive connection from before the reload
	defer old.CloseIdleConnections()
	if c, _ := tlsGet(t, old, base+"/healthz"); !bytes.Equal(c.Raw, t1.Certificate.Raw) {
		t.Fatalf("served %s, want tls one", c.Subject.CommonName)
	}
	if err := certs.WritePEM(t2, crt, key, true); err != nil {
		t.Fatal(err)
	}
	recs, ok := srv.reload(t, hup)
	if !ok {
		t.Fatalf("reload refused:\n%s", srv.stderr.String())
	}
	if got := recs[len(recs)-1].str("tls_certificate"); got != certs.ThumbprintSHA1(t2.Certificate) {
		t.Errorf("reload record tls_certificate = %q, want tls two's thumbprint", got)
	}
	c, reused := tlsGet(t, old, base+"/FederationMetadata/2007-06/FederationMetadata.xml")
	if !reused || !bytes.Equal(c.Raw, t1.Certificate.Raw) {
		t.Errorf("the connection from before the reload: reused %v, certificate %s; want the same connection with tls one", reused, c.Subject.CommonName)
	}
	fresh := insecureTLS()
	defer fresh.CloseIdleConnections()
	if c, reused := tlsGet(t, fresh, base+"/healthz"); reused || !bytes.Equal(c.Raw, t2.Certificate.Raw) {
		t.Errorf("a new connection: reused %v, certificate %s; want a new one with tls two", reused, c.Subject.CommonName)
	}

	t.Run("a key that does not match is refused", func(t *testing.T) {
		if err := certs.WritePEM(&certs.KeyPair{Key: t1.Key, Certificate: t2.Certificate}, crt, key, true); err != nil {
			t.Fatal(err)
		}
		from := len(srv.records())
		if _, ok := srv.reload(t, hup); ok {
			t.Fatal("reload accepted")
		}
		if !strings.Contains(strings.Join(strings.Split(srv.stderr.String(), "\n")[from:], "\n"), `"path":"server.tls"`) {
			t.Errorf("refusal does not name server.tls:\n%s", srv.stderr.String())
		}
		tr := insecureTLS()
		defer tr.CloseIdleConnections()
		if c, _ := tlsGet(t, tr, base+"/healthz"); !bytes.Equal(c.Raw, t2.Certificate.Raw) {
			t.Errorf("after the refusal a new connection got %s, want tls two", c.Subject.CommonName)
		}
	})
	t.Run("switching TLS off needs a restart", func(t *testing.T) {
		if err := os.WriteFile(fx.cfgPath, cfg, 0o600); err != nil {
			t.Fatal(err)
		}
		from := len(srv.records())
		if _, ok := srv.reload(t, hup); ok {
			t.Fatal("reload accepted")
		}
		text := strings.Join(strings.Split(srv.stderr.String(), "\n")[from:], "\n")
		if !strings.Contains(text, `"path":"server.tls"`) || !strings.Contains(text, "restart") {
			t.Errorf("refusal does not say server.tls needs a restart:\n%s", text)
		}
		tr := insecureTLS()
		defer tr.CloseIdleConnections()
		if c, _ := tlsGet(t, tr, base+"/healthz"); !bytes.Equal(c.Raw, t2.Certificate.Raw) {
			t.Errorf("after the refusal a new connection got %s, want tls two", c.Subject.CommonName)
		}
	})
}

// TestServeReloadsOnSIGHUP: the real signal, sent to this process, makes
// `claimgate serve` (which registered for it before listening) reload:
// the key added to the file is published.
func TestServeReloadsOnSIGHUP(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; run without -short (make test)")
	}
	fx := newFixture(t, e2eUser{Name: "alice", Password: newPassword(t)})
	fx.writeConfig(t, serveConfig{})
	srv := startReloadable(t, fx, nil, http.DefaultClient, fx.base) // nil: serve listens for SIGHUP itself
	b, bFiles := newKeyFiles(t, fx.dir, "signing-b", 0, 365*24*time.Hour)
	setSigning(t, fx.cfgPath, [][2]string{{"signing.crt", "signing.key"}, bFiles})
	from := len(srv.records())
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if i := srv.waitRecord(t, from, msgReloaded, msgRefused); srv.records()[i].msg() != msgReloaded {
		t.Fatalf("SIGHUP: %v\n%s", srv.records()[i], srv.stderr.String())
	}
	_, md, err := fetchMetadata(http.DefaultClient, fx.base, fx.cert, b.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	if !sameCerts(md.SigningCerts, fx.cert, b.Certificate) {
		t.Errorf("after SIGHUP the metadata publishes %s", names(md.SigningCerts))
	}
}

// TestServeReloadStaysReadyWithActiveDirectory: against the Samba AD DC,
// /readyz answers 200 throughout reloads, also right after one (the new
// configuration takes over with its directory already probed), and a
// reload whose directory settings would make sign-in fail (a base DN that
// does not exist) is refused while the running one works.
func TestServeReloadStaysReadyWithActiveDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; run without -short (make test)")
	}
	ad := samba(t)
	fx := newFixture(t)
	for k, v := range ad {
		fx.env[k] = v
	}
	dirYAML := ad.ldapYAML(ad["CLAIMGATE_TEST_LDAP_URL"])
	fx.writeConfig(t, serveConfig{directory: dirYAML})
	hup := make(chan os.Signal, 1)
	srv := startReloadable(t, fx, hup, http.DefaultClient, fx.base)
	deadline := time.Now().Add(30 * time.Second)
	for getStatus(t, fx.base+"/readyz") != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never 200:\n%s", srv.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop := make(chan struct{})
	polled := make(chan []int, 1)
	go func() {
		var bad []int
		for {
			select {
			case <-stop:
				polled <- bad
				return
			default:
			}
			resp, err := http.Get(fx.base + "/readyz")
			if err != nil {
				bad = append(bad, -1)
				continue
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				bad = append(bad, resp.StatusCode)
			}
		}
	}()
	readyNow := func(t *testing.T) {
		t.Helper()
		resp, err := http.Get(fx.base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body bytes.Buffer
		_, _ = body.ReadFrom(resp.Body)
		if resp.StatusCode != http.StatusOK || strings.Contains(body.String(), "not checked yet") {
			t.Errorf("/readyz right after the reload: %d\n%s", resp.StatusCode, body.String())
		}
	}

	b, bFiles := newKeyFiles(t, fx.dir, "signing-b", 0, 365*24*time.Hour)
	setSigning(t, fx.cfgPath, [][2]string{{"signing.crt", "signing.key"}, bFiles})
	if _, ok := srv.reload(t, hup); !ok {
		t.Fatalf("reload refused:\n%s", srv.stderr.String())
	}
	readyNow(t)

	good, err := os.ReadFile(fx.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	baseDN := `base_dn: "` + ad["CLAIMGATE_TEST_LDAP_BASE_DN"] + `"`
	broken := bytes.Replace(good, []byte(baseDN), []byte(`base_dn: "OU=Nowhere,`+ad["CLAIMGATE_TEST_LDAP_BASE_DN"]+`"`), 1)
	if bytes.Equal(broken, good) {
		t.Fatal("no base_dn to change; adapt the test to ldapYAML")
	}
	if err := os.WriteFile(fx.cfgPath, broken, 0o600); err != nil {
		t.Fatal(err)
	}
	from := len(srv.records())
	if _, ok := srv.reload(t, hup); ok {
		t.Fatal("a reload that breaks the directory was accepted")
	}
	text := strings.Join(strings.Split(srv.stderr.String(), "\n")[from:], "\n")
	if !strings.Contains(text, `"path":"directory"`) || !strings.Contains(text, "sign-in would fail with the new configuration") || !strings.Contains(text, "OU=Nowhere") {
		t.Errorf("refusal does not explain the directory problem:\n%s", text)
	}
	readyNow(t)
	if _, md, err := fetchMetadata(http.DefaultClient, fx.base, fx.cert, b.Certificate); err != nil || !sameCerts(md.SigningCerts, fx.cert, b.Certificate) {
		t.Errorf("after the refusal the running configuration changed: %v", err)
	}
	close(stop)
	if bad := <-polled; len(bad) > 0 {
		t.Errorf("/readyz was not 200 %d times during the reloads: %v", len(bad), bad)
	}
}
