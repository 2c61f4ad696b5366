package rpsource

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/sts/adfsmeta"
)

const (
	v3SHA1 = "8C3B60F1C93FA3E52AFD41885E7B6C6C4A61C65A"
	v4SHA1 = "D5FE73910389B58BBB3B0EBB87FDF110FF79FEBB"
	v3ID   = "http://fs.msidlab2.com/adfs/services/trust"
	v4ID   = "http://fs.msidlab11.com/adfs/services/trust"
)

func fixedNow() time.Time { return time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC) }

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// adfsServer is a loopback HTTPS server whose document can be swapped.
type adfsServer struct {
	*httptest.Server
	doc     atomic.Pointer[[]byte]
	chunked atomic.Bool // omit Content-Length
	hits    atomic.Int32
}

func newADFS(t *testing.T, doc []byte) *adfsServer {
	s := &adfsServer{}
	s.set(doc)
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if r.URL.Path != "/FederationMetadata/2007-06/FederationMetadata.xml" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		b := *s.doc.Load()
		if s.chunked.Load() {
			w.Write(b[:len(b)/2])
			w.(http.Flusher).Flush()
			w.Write(b[len(b)/2:])
			return
		}
		w.Write(b)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *adfsServer) set(b []byte) { s.doc.Store(&b) }
func (s *adfsServer) metadataURL() string {
	return s.URL + "/FederationMetadata/2007-06/FederationMetadata.xml"
}

// syncBuffer collects output written from the server's goroutines.
type syncBuffer = testutil.SyncBuffer

func newSource(t *testing.T, srv *adfsServer, cache string, logs *syncBuffer) *Source {
	return &Source{
		URL:       srv.metadataURL(),
		Pins:      []string{v3SHA1, v4SHA1},
		CachePath: cache,
		Client:    srv.Client(),
		Now:       fixedNow,
		Timeout:   5 * time.Second,
		Logger:    slog.New(slog.NewTextHandler(logs, nil)),
	}
}

func signer(md *adfsmeta.Metadata) string { return certs.ThumbprintSHA1(md.SigningCerts[0]) }

func TestRefreshPicksUpNewSigningCertificate(t *testing.T) {
	srv := newADFS(t, fixture(t, "adfs-v3-metadata.xml"))
	var logs syncBuffer
	src := newSource(t, srv, filepath.Join(t.TempDir(), "adfs.xml"), &logs)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := src.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if md := src.Current(); md.EntityID != v3ID || signer(md) != v3SHA1 {
		t.Fatalf("first load: %s %s", md.EntityID, signer(md))
	}
	srv.set(fixture(t, "adfs-v4-metadata.xml"))
	if err := src.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	md := src.Current()
	if signer(md) != v4SHA1 || md.PassiveEndpoint != "https://fs.msidlab11.com/adfs/ls/" {
		t.Fatalf("after refresh: %s %s", signer(md), md.PassiveEndpoint)
	}
	st := src.Status()
	if st.LastError != "" || st.EntityID != v4ID || len(st.CertThumbprints) != 1 || st.CertThumbprints[0] != v4SHA1 || st.FromCache {
		t.Fatalf("status = %+v", st)
	}
	if !st.LastSuccess.Equal(fixedNow()) {
		t.Errorf("LastSuccess = %v", st.LastSuccess)
	}
	if !strings.Contains(logs.String(), "entityID changed") {
		t.Errorf("entityID change not logged: %s", logs.String())
	}
	cached, err := os.ReadFile(src.CachePath)
	if err != nil || !bytes.Equal(cached, fixture(t, "adfs-v4-metadata.xml")) {
		t.Fatalf("cache does not hold the new document (err %v)", err)
	}
}

// TestRefreshLoop checks that the background loop, not only Refresh, applies a change.
func TestRefreshLoop(t *testing.T) {
	srv := newADFS(t, fixture(t, "adfs-v3-metadata.xml"))
	var logs syncBuffer
	src := newSource(t, srv, "", &logs)
	src.RefreshInterval = MinRefreshInterval
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := src.Start(ctx); err != nil {
		t.Fatal(err)
	}
	srv.set(fixture(t, "adfs-v4-metadata.xml"))
	deadline := time.Now().Add(20 * time.Second)
	for signer(src.Current()) != v4SHA1 {
		if time.Now().After(deadline) {
			t.Fatalf("loop never refreshed (hits %d)", srv.hits.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestOutageKeepsLastGoodAcrossRestart(t *testing.T) {
	srv := newADFS(t, fixture(t, "adfs-v4-metadata.xml"))
	cache := filepath.Join(t.TempDir(), "data", "rp-adfs.xml")
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := newSource(t, srv, cache, &logs)
	if err := first.Start(ctx); err != nil {
		t.Fatal(err)
	}
	url, client := srv.metadataURL(), srv.Client()
	srv.Close() // AD FS goes down

	if err := first.Refresh(ctx); err == nil {
		t.Fatal("refresh against a dead server succeeded")
	}
	if md := first.Current(); md == nil || signer(md) != v4SHA1 {
		t.Fatal("last good copy lost during outage")
	}
	if st := first.Status(); st.LastError == "" || !st.LastAttempt.Equal(fixedNow()) {
		t.Fatalf("status = %+v", st)
	}
	if !strings.Contains(logs.String(), "keeping the last good copy") {
		t.Errorf("failure not logged: %s", logs.String())
	}

	// "Restart": a new Source, same cache, AD FS still down.
	var logs2 syncBuffer
	second := &Source{URL: url, Pins: []string{v4SHA1}, CachePath: cache, Client: client, Now: fixedNow,
		Timeout: 5 * time.Second, Logger: slog.New(slog.NewTextHandler(&logs2, nil))}
	if err := second.Start(ctx); err != nil {
		t.Fatalf("restart during outage: %v", err)
	}
	md := second.Current()
	if md.EntityID != v4ID || signer(md) != v4SHA1 {
		t.Fatalf("restart copy: %+v", md)
	}
	st := second.Status()
	if !st.FromCache || st.LastError == "" || st.LastSuccess.IsZero() {
		t.Fatalf("restart status = %+v", st)
	}

	// A cache file that was altered on disk is not trusted.
	tampered := bytes.Replace(fixture(t, "adfs-v4-metadata.xml"), []byte("fs.msidlab11.com/adfs/ls/"), []byte("fs.msidlab66.com/adfs/ls/"), 1)
	if err := os.WriteFile(cache, tampered, 0o600); err != nil {
		t.Fatal(err)
	}
	third := &Source{URL: url, Pins: []string{v4SHA1}, CachePath: cache, Client: client, Now: fixedNow,
		Timeout: 5 * time.Second, Logger: slog.New(slog.NewTextHandler(&logs2, nil))}
	if err := third.Start(ctx); !errors.Is(err, ErrNoMetadata) || third.Current() != nil {
		t.Fatalf("tampered cache: err %v, current %v", err, third.Current())
	}
	if !strings.Contains(logs2.String(), "no longer verifies") {
		t.Errorf("tampered cache not logged: %s", logs2.String())
	}
}

func TestHostileDocumentsRefusedLastGoodKept(t *testing.T) {
	good := fixture(t, "adfs-v4-metadata.xml")
	srv := newADFS(t, good)
	var logs syncBuffer
	src := newSource(t, srv, filepath.Join(t.TempDir(), "adfs.xml"), &logs)
	src.MaxBytes = int64(len(good)) + 1024
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := src.Start(ctx); err != nil {
		t.Fatal(err)
	}
	big := append(bytes.Clone(good), bytes.Repeat([]byte(" "), 4096)...)
	cases := []struct {
		name    string
		doc     []byte
		chunked bool
		is      error
	}{
		{"oversized with Content-Length", big, false, adfsmeta.ErrTooLarge},
		{"oversized chunked", big, true, adfsmeta.ErrTooLarge},
		{"doctype", append([]byte(`<!DOCTYPE EntityDescriptor [<!ENTITY a "aaaa">]>`), good...), false, adfsmeta.ErrDeclaration},
		{"signed by the v3 key instead", fixture(t, "adfs-v3-metadata.xml"), false, nil},
	}
	src.Pins = []string{v4SHA1} // the v3 signer is not acceptable for this case table
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv.set(c.doc)
			srv.chunked.Store(c.chunked)
			err := src.Refresh(ctx)
			if err == nil || (c.is != nil && !errors.Is(err, c.is)) {
				t.Fatalf("err = %v, want %v", err, c.is)
			}
			if md := src.Current(); md == nil || md.EntityID != v4ID {
				t.Fatal("last good copy replaced")
			}
			cached, _ := os.ReadFile(src.CachePath)
			if !bytes.Equal(cached, good) {
				t.Fatal("cache overwritten by a refused document")
			}
		})
	}
}

func TestFileSource(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "FederationMetadata.xml")
	if err := os.WriteFile(file, fixture(t, "adfs-v3-metadata.xml"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := &Source{File: file, Pins: []string{v3SHA1, v4SHA1}, Now: fixedNow, Logger: slog.New(slog.DiscardHandler)}
	if err := src.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, fixture(t, "adfs-v4-metadata.xml"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := src.Refresh(t.Context()); err != nil || signer(src.Current()) != v4SHA1 {
		t.Fatalf("file refresh: %v", err)
	}
}

func TestTrustOnFirstUseLearnsPins(t *testing.T) {
	srv := newADFS(t, fixture(t, "adfs-v4-metadata.xml"))
	src := &Source{URL: srv.metadataURL(), InsecureTrustOnFirstUse: true, Client: srv.Client(), Now: fixedNow, Logger: slog.New(slog.DiscardHandler)}
	if err := src.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(src.Status().Warnings, "\n"), "trusted on first use") {
		t.Errorf("warnings = %q", src.Status().Warnings)
	}
	// After the first document, a different signer is no longer accepted.
	srv.set(fixture(t, "adfs-v3-metadata.xml"))
	if err := src.Refresh(t.Context()); err == nil || !strings.Contains(err.Error(), "neither pinned nor trusted") {
		t.Fatalf("err = %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for name, s := range map[string]*Source{
		"neither":    {Pins: []string{v4SHA1}},
		"both":       {URL: "https://a/x", File: "/x", Pins: []string{v4SHA1}},
		"plain http": {URL: "http://adfs.example.com/x", Pins: []string{v4SHA1}},
		"no trust":   {URL: "https://adfs.example.com/x"},
		"bad pin":    {URL: "https://adfs.example.com/x", Pins: []string{"12:34"}},
	} {
		if err := s.Start(t.Context()); err == nil || errors.Is(err, ErrNoMetadata) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// TestNoRedirectToPlainHTTP: an https metadata URL that redirects to http
// is a failed refresh, not a cleartext fetch.
func TestNoRedirectToPlainHTTP(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the plain-http target was fetched")
	}))
	defer plain.Close()
	req, _ := http.NewRequest("GET", plain.URL, nil)
	prev, _ := http.NewRequest("GET", "https://adfs.example.test/FederationMetadata/2007-06/FederationMetadata.xml", nil)
	if err := httpsRedirectsOnly(req, []*http.Request{prev}); err == nil {
		t.Fatal("redirect from https to http allowed")
	}
	next, _ := http.NewRequest("GET", "https://adfs2.example.test/x", nil)
	if err := httpsRedirectsOnly(next, []*http.Request{prev}); err != nil {
		t.Fatalf("https to https refused: %v", err)
	}
}
