package main

import (
	"bytes"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// shortShutdown sets server.shutdown_timeout to 1 s in fx's configuration.
func shortShutdown(t *testing.T, fx *fixture) {
	t.Helper()
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
	fx := newFixture(t, e2eUser{Name: "alice", Password: newPassword(t)})
	fx.writeConfig(t, serveConfig{})
	shortShutdown(t, fx)
	srv := startReloadable(t, fx, make(chan os.Signal, 1), http.DefaultClient, fx.base)
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
	fx := newFixture(t, held)
	fx.writeConfig(t, serveConfig{extra: smsConfig(gw)})
	shortShutdown(t, fx)
	srv := startReloadable(t, fx, make(chan os.Signal, 1), http.DefaultClient, fx.base)
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
