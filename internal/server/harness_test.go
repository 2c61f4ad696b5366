package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/factors"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/login/wsfedflow"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/server"
	"github.com/claimgate/claimgate/internal/store/sqlitestore"
	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/internal/userfile"
	"github.com/claimgate/claimgate/sts"
	"github.com/claimgate/claimgate/sts/wsfed"
	"github.com/claimgate/claimgate/templates"
)

const (
	realm    = "http://adfs.example.test/adfs/services/trust"
	replyURL = "https://adfs.example.test/adfs/ls/"
	// aliceTOTP is alice's users-file TOTP seed (Base32), so a test can
	// walk the whole sign-in: password page, code page, token page.
	aliceTOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
)

// signingKey and userHash are made once: they are slow and their values
// do not matter here.
var (
	signingKey = sync.OnceValues(func() (*certs.KeyPair, error) { return certs.Generate(certs.GenerateOptions{}) })
	userHash   = sync.OnceValues(func() (string, error) { return mfa.HashPassword("pw", nil) })
)

// syncBuffer collects output written from the server's goroutines.
type syncBuffer = testutil.SyncBuffer

// parts are the real pieces server.New mounts: a sign-in flow over the
// users file, the SQLite store and the real issuer, and the pages.
type parts struct {
	flow  *login.Flow
	pages *templates.Set
	log   *syncBuffer
}

func newParts(t testing.TB, parties wsfed.PartyList) parts {
	t.Helper()
	key, err := signingKey()
	if err != nil {
		t.Fatal(err)
	}
	hash, err := userHash()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), sqlitestore.FileName), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	dir, err := userfile.New(&userfile.File{Users: []userfile.User{{Username: "alice", PasswordHash: hash, TOTPSecret: aliceTOTP}}})
	if err != nil {
		t.Fatal(err)
	}
	second, err := factors.NewVerifier(factors.Options{Store: db, File: dir})
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := sts.NewIssuer(sts.IssuerConfig{EntityID: "https://claimgate.example.test/", Signer: key.Key, Certificate: key.Certificate})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := templates.New(templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := parts{pages: pages, log: &syncBuffer{}}
	logger := slog.New(slog.NewTextHandler(p.log, nil))
	ws, err := wsfedflow.New(wsfedflow.Options{Parties: parties, Issuer: issuer, Logger: logger, RequestID: server.RequestID})
	if err != nil {
		t.Fatal(err)
	}
	p.flow, err = login.New(login.Options{Protocols: []login.Protocol{ws}, Directory: dir, Sessions: db, Pages: pages,
		SecondFactor: second, RequireSecondFactor: true,
		Logger: logger, RequestID: server.RequestID, ClientAddr: server.ClientAddr})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// options returns server options over the parts, logging to p.log.
func (p parts) options() server.Options {
	return server.Options{Flow: p.flow, Pages: p.pages, Metadata: func() []byte { return []byte("<EntityDescriptor/>") },
		ReplyURLs: []string{replyURL}, Logger: slog.New(slog.NewTextHandler(p.log, nil)), Now: time.Now}
}

// serve starts the router of o.
func serve(t testing.TB, o server.Options) *httptest.Server {
	t.Helper()
	h, err := server.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// fetch does one request without following redirects.
func fetch(t testing.TB, srv *httptest.Server, method, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

// forbidden are strings that betray internals.
var forbidden = []string{"goroutine", ".go:", "runtime.", "panic", "sts:", "login:", "sql"}

func checkNoInternals(t testing.TB, body string) {
	t.Helper()
	low := strings.ToLower(body)
	for _, f := range forbidden {
		if strings.Contains(low, f) {
			t.Errorf("page contains %q:\n%s", f, body)
		}
	}
}
