package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/testutil"
)

// startShortShutdown starts serve for one user, with server.shutdown_timeout
// 1 s and extra in its configuration.
func startShortShutdown(t *testing.T, u e2eUser, extra string) (*fixture, *server) {
	t.Helper()
	fx := newFixture(t, u)
	fx.writeConfig(t, serveConfig{extra: extra})
	cfg, err := os.ReadFile(fx.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	short := bytes.Replace(cfg, []byte("shutdown_timeout: 5s"), []byte("shutdown_timeout: 1s"), 1)
	if bytes.Equal(short, cfg) {
		t.Fatal("no shutdown_timeout to change; adapt the test to writeConfig")
	}
	if err := os.WriteFile(fx.cfgPath, short, 0o600); err != nil {
		t.Fatal(err)
	}
	return fx, startReloadable(t, fx, make(chan os.Signal, 1), http.DefaultClient, fx.base)
}

// exitCode waits for srv to exit and gives its code back to the cleanup's
// stop.
func exitCode(t *testing.T, srv *server) int {
	t.Helper()
	select {
	case code := <-srv.done:
		srv.done <- code
		return code
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not exit:\n%s", srv.stderr.String())
		return -1
	}
}

// TestServeShutdownClosesConnectionsWithoutARequest: a connection that
// was opened but has sent no request (a load balancer's or a browser's
// spare one) does not make a stop fail. net/http's Shutdown waits 5 s
// from its opening before closing it, past a shorter shutdown_timeout;
// no request runs, so serve closes it and exits with 0.
func TestServeShutdownClosesConnectionsWithoutARequest(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; run without -short (make test)")
	}
	fx, srv := startShortShutdown(t, e2eUser{Name: "alice", Password: newPassword(t)}, "")
	spare, err := net.Dial("tcp", fx.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer spare.Close()
	srv.cancel()
	if code := exitCode(t, srv); code != 0 {
		t.Fatalf("serve exited with %d beside a connection that sent nothing:\n%s", code, srv.stderr.String())
	}
	if !strings.Contains(srv.stderr.String(), "closed the connections that had not sent a request") {
		t.Errorf("the log does not say why the stop took shutdown_timeout:\n%s", srv.stderr.String())
	}
	if i := srv.waitRecord(t, 0, "stopped"); srv.records()[i].msg() != "stopped: every request finished" {
		t.Errorf("last record: %v", srv.records()[i])
	}
}

// TestServeShutdownTimeoutWithARequestRunning: a request still running
// when shutdown_timeout ends (a code page waiting for a hung SMS gateway)
// makes serve exit with an error that counts it.
func TestServeShutdownTimeoutWithARequestRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; run without -short (make test)")
	}
	gw := newHoldGateway(t)
	held := e2eUser{Name: "held", Password: newPassword(t), Mobile: "+15550100298"}
	fx, srv := startShortShutdown(t, held, smsConfig(gw))
	release := gw.holdPhone(held.Mobile)
	defer release()
	hb := newBrowser(nil)
	if err := hb.get("begin", fx.rp.beginURL()); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = hb.postForm("password", fx.base+"/login", url.Values{"username": {held.Name}, "password": {held.Password}})
	}()
	select {
	case <-gw.arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("the SMS was never sent")
	}
	srv.cancel()
	code := exitCode(t, srv)
	srv.once.Do(func() {}) // the cleanup's stop expects 0
	if code == 0 {
		t.Fatalf("serve exited with 0 while a request was still running:\n%s", srv.stderr.String())
	}
	if !strings.Contains(srv.stderr.String(), "1 request(s) still running after server.shutdown_timeout") {
		t.Errorf("the error does not count the running request:\n%s", srv.stderr.String())
	}
}

// TestServeShutdownCountsAnAnswerNotYetSent: a request whose handler has
// returned but whose answer is not sent yet (net/http first reads the
// rest of a body the handler did not read, here never sent) is still
// running: a stop that cuts it exits with an error and does not say that
// every request finished.
func TestServeShutdownCountsAnAnswerNotYetSent(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; run without -short (make test)")
	}
	fx, srv := startShortShutdown(t, e2eUser{Name: "alice", Password: newPassword(t)}, "")
	c, err := net.Dial("tcp", fx.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	from := len(srv.records())
	if _, err := io.WriteString(c, "POST /no-such-route HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n0123456789"); err != nil {
		t.Fatal(err)
	}
	srv.waitRecord(t, from, "http") // the handler has answered 404
	srv.cancel()
	code := exitCode(t, srv)
	srv.once.Do(func() {}) // the cleanup's stop expects 0
	if code == 0 || strings.Contains(srv.stderr.String(), "every request finished") {
		t.Fatalf("serve exited with %d and claims every request finished, with an answer not sent:\n%s", code, srv.stderr.String())
	}
	if !strings.Contains(srv.stderr.String(), "1 request(s) still running after server.shutdown_timeout") {
		t.Errorf("the error does not count the answer not sent:\n%s", srv.stderr.String())
	}
}

// TestServeShutdownMetricsSpareConnection: a connection to the metrics
// listener that has sent no request does not hold the stop for 5 s nor
// make it warn of a scrape still running.
func TestServeShutdownMetricsSpareConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; run without -short (make test)")
	}
	maddr := testutil.FreeAddr(t)
	_, srv := startShortShutdown(t, e2eUser{Name: "alice", Password: newPassword(t)}, "metrics:\n  listen: "+maddr+"\n")
	spare, err := net.Dial("tcp", maddr)
	if err != nil {
		t.Fatal(err)
	}
	defer spare.Close()
	srv.cancel()
	if code := exitCode(t, srv); code != 0 {
		t.Fatalf("serve exited with %d:\n%s", code, srv.stderr.String())
	}
	if strings.Contains(srv.stderr.String(), "scrape was still running") {
		t.Errorf("a connection that sent nothing was taken for a scrape:\n%s", srv.stderr.String())
	}
}
