package rpsource

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/sts/saml2"
)

const v2SHA1 = "28D1BE71EBAB715A8F53CB9FD9D84C4373CD3708"

// samlFixture is real AD FS metadata from sts/saml2's fixture set (the
// same files as testdata/, plus AD FS 2.0).
func samlFixture(t *testing.T, v string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "sts", "saml2", "testdata", "adfs", "adfs-v"+v+"-metadata.xml"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newSPSource(srv *adfsServer, pins []string, cache string, logs *syncBuffer, check func(*saml2.SP) error) *SPSource {
	return &SPSource{
		URL: srv.metadataURL(), Pins: pins, CachePath: cache, Client: srv.Client(), Now: fixedNow,
		Timeout: 5 * time.Second, Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Parse: SPParser(check), KeepEntityID: true, What: "SAML SP metadata",
	}
}

// TestSPFromADFSMetadataURL: the SPSSODescriptor of real AD FS 2.0, 2012
// R2 and 2016 metadata, served over HTTPS and pinned by the thumbprint of
// the certificate that really signed it, becomes an SP answering at
// /adfs/ls/, recognised as AD FS (AES-256-CBC), and the copy is persisted.
func TestSPFromADFSMetadataURL(t *testing.T) {
	for v, c := range map[string]struct{ pin, host string }{
		"2": {v2SHA1, "fs.msidlab7.com"}, "3": {v3SHA1, "fs.msidlab2.com"}, "4": {v4SHA1, "fs.msidlab11.com"},
	} {
		t.Run("v"+v, func(t *testing.T) {
			doc := samlFixture(t, v)
			srv := newADFS(t, doc)
			var logs syncBuffer
			src := newSPSource(srv, []string{c.pin}, filepath.Join(t.TempDir(), "sp.xml"), &logs, nil)
			if err := src.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			sp := src.Current()
			if sp.EntityID != "http://"+c.host+"/adfs/services/trust" || sp.DefaultACS().Location != "https://"+c.host+"/adfs/ls/" ||
				!sp.ADFS || sp.EncryptionMethod != saml2.EncAES256CBC || sp.EncryptionCert == nil {
				t.Fatalf("SP %+v", sp)
			}
			st := src.Status()
			if st.EntityID != sp.EntityID || st.LastError != "" || st.FromCache || len(st.CertThumbprints) != 1 || st.CertThumbprints[0] != c.pin {
				t.Errorf("status %+v", st)
			}
			if cached, err := os.ReadFile(src.CachePath); err != nil || !bytes.Equal(cached, doc) {
				t.Errorf("cache does not hold the document (err %v)", err)
			}
			if !strings.Contains(logs.String(), "SAML SP metadata loaded") {
				t.Errorf("load not logged: %s", logs.String())
			}
		})
	}
	// Another farm's thumbprint: nothing is accepted.
	srv := newADFS(t, samlFixture(t, "4"))
	var logs syncBuffer
	if err := newSPSource(srv, []string{v3SHA1}, "", &logs, nil).Start(t.Context()); !errors.Is(err, ErrNoMetadata) ||
		!strings.Contains(err.Error(), "neither pinned nor trusted") {
		t.Fatalf("wrong pin: %v", err)
	}
}

// TestSPRefreshFailuresKeepLastGood: every kind of bad refresh keeps the
// SP already in use and the persisted copy, and is logged and recorded in
// Status: a bad signature, a signer not pinned, a different entity ID
// (signed by a pinned key), garbage, an SP the caller's check refuses, and
// AD FS down.
func TestSPRefreshFailuresKeepLastGood(t *testing.T) {
	good := samlFixture(t, "4")
	srv := newADFS(t, good)
	var logs syncBuffer
	refuse := false
	check := func(sp *saml2.SP) error {
		if refuse {
			return errors.New("encryption is on but the metadata has no encryption certificate")
		}
		return nil
	}
	// v3 is pinned too, so that AD FS 2012 R2's document is validly signed
	// and only its entity ID is wrong.
	src := newSPSource(srv, []string{v4SHA1, v3SHA1}, filepath.Join(t.TempDir(), "sp.xml"), &logs, check)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := src.Start(ctx); err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(good, []byte(`Location="https://fs.msidlab11.com/adfs/ls/" index="0"`), []byte(`Location="https://evil.example/adfs/ls/" index="0"`), 1)
	if bytes.Equal(tampered, good) {
		t.Fatal("tamper target not found")
	}
	for _, c := range []struct {
		name, doc, want string
		refuse          bool
	}{
		{"bad signature", string(tampered), "", false},
		{"signer not pinned", string(samlFixture(t, "2")), "neither pinned nor trusted", false},
		{"entity ID changed", string(samlFixture(t, "3")), "entityID changed from http://fs.msidlab11.com/adfs/services/trust to http://fs.msidlab2.com/adfs/services/trust", false},
		{"not metadata", `<html><body>AD FS is under maintenance</body></html>`, "", false},
		{"not XML", "\x00\x01garbage", "", false},
		{"refused by the check", string(good), "no encryption certificate", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv.set([]byte(c.doc))
			refuse = c.refuse
			defer func() { refuse = false }()
			err := src.Refresh(ctx)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			assertSPKept(t, src, good)
			if st := src.Status(); st.LastError != err.Error() || st.EntityID != v4ID {
				t.Errorf("status %+v", st)
			}
		})
	}
	if !strings.Contains(logs.String(), "SAML SP metadata refresh failed; keeping the last good copy") {
		t.Errorf("failures not logged: %s", logs.String())
	}
	srv.set(good)
	if err := src.Refresh(ctx); err != nil || src.Status().LastError != "" {
		t.Fatalf("good document again: %v", err)
	}
	srv.Close()
	if err := src.Refresh(ctx); err == nil {
		t.Fatal("refresh against a dead server succeeded")
	}
	assertSPKept(t, src, good)
}

func assertSPKept(t *testing.T, src *SPSource, good []byte) {
	t.Helper()
	if sp := src.Current(); sp == nil || sp.EntityID != v4ID || sp.DefaultACS().Location != "https://fs.msidlab11.com/adfs/ls/" {
		t.Fatalf("last good SP replaced: %+v", sp)
	}
	if cached, _ := os.ReadFile(src.CachePath); !bytes.Equal(cached, good) {
		t.Fatal("cache overwritten by a refused document")
	}
}

// TestSPStartsFromCacheWhenDown: a restart while the metadata URL is down
// serves the persisted copy, re-verified with the pins; once the entity ID
// is known from it, a fetched document naming another is refused too.
func TestSPStartsFromCacheWhenDown(t *testing.T) {
	srv := newADFS(t, samlFixture(t, "4"))
	cache := filepath.Join(t.TempDir(), "data", "sp.xml")
	var logs syncBuffer
	if err := newSPSource(srv, []string{v4SHA1}, cache, &logs, nil).Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	url, client := srv.metadataURL(), srv.Client()
	srv.Close()
	second := &SPSource{URL: url, Pins: []string{v4SHA1}, CachePath: cache, Client: client, Now: fixedNow, Timeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), Parse: SPParser(nil), KeepEntityID: true}
	if err := second.Start(t.Context()); err != nil {
		t.Fatalf("restart during outage: %v", err)
	}
	if sp, st := second.Current(), second.Status(); sp == nil || sp.EntityID != v4ID || !st.FromCache || st.LastError == "" {
		t.Fatalf("restart: %+v, status %+v", sp, st)
	}

	srv2 := newADFS(t, samlFixture(t, "3"))
	third := newSPSource(srv2, []string{v4SHA1, v3SHA1}, cache, &logs, nil)
	if err := third.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if sp := third.Current(); sp.EntityID != v4ID || !strings.Contains(third.Status().LastError, "entityID changed") {
		t.Fatalf("entity ID change accepted over the cached copy: %s, %q", sp.EntityID, third.Status().LastError)
	}
}

// TestSPUnsigned: without pins, only insecure_allow_unsigned reads a
// document, and says so; with pins an unsigned document is refused, even
// when insecure_allow_unsigned is set as well (the pins win).
func TestSPUnsigned(t *testing.T) {
	unsigned := []byte(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example/shibboleth">` +
		`<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
		`<md:AssertionConsumerService Binding="` + saml2.BindingPOST + `" Location="https://sp.example/Shibboleth.sso/SAML2/POST" index="1"/>` +
		`</md:SPSSODescriptor></md:EntityDescriptor>`)
	srv := newADFS(t, unsigned)
	var logs syncBuffer
	src := newSPSource(srv, nil, "", &logs, nil)
	if err := src.Start(t.Context()); err == nil || errors.Is(err, ErrNoMetadata) {
		t.Fatalf("no pins and not insecure: %v", err)
	}
	src = newSPSource(srv, nil, "", &logs, nil)
	src.InsecureAllowUnsigned = true
	if err := src.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if sp := src.Current(); sp.EntityID != "https://sp.example/shibboleth" || sp.ADFS || sp.EncryptionMethod != "" ||
		!strings.Contains(strings.Join(src.Status().Warnings, " "), "not checked") {
		t.Fatalf("unsigned SP %+v, warnings %q", sp, src.Status().Warnings)
	}
	pinned := newSPSource(srv, []string{v4SHA1}, "", &logs, nil)
	pinned.InsecureAllowUnsigned = true
	if err := pinned.Start(t.Context()); !errors.Is(err, ErrNoMetadata) {
		t.Fatalf("unsigned document with pins: %v", err)
	}
}
