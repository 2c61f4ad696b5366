package app

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/userfile"
)

const benchRealm = "http://adfs.example.test/adfs/services/trust"

// signedInClient builds the service with a fixed clock, signs alice in
// with password and TOTP code, and returns the server and a client that
// holds the finished session.
func signedInClient(b *testing.B) (*httptest.Server, *http.Client) {
	b.Helper()
	dir := b.TempDir()
	kp, err := certs.Generate(certs.GenerateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	certs.WritePEM(kp, filepath.Join(dir, "s.crt"), filepath.Join(dir, "s.key"), false)
	h, _ := mfa.HashPassword("pw", nil)
	secret, _ := mfa.NewSecret(nil, 20)
	userfile.Write(filepath.Join(dir, "users.yaml"), &userfile.File{Domain: "EXAMPLE", Users: []userfile.User{{Username: "alice",
		UPN: "alice@example.test", SID: "S-1-5-21-1-2-3-1105", GroupSIDs: []string{"S-1-5-21-1-2-3-513", "S-1-5-21-1-2-3-1200"},
		PasswordHash: h, TOTPSecret: mfa.EncodeBase32(secret)}}})
	os.WriteFile(filepath.Join(dir, "c.yaml"), []byte(`entity_id: https://sts.example.test/
base_url: https://sts.example.test
data_dir: `+dir+`
server: {listen: "127.0.0.1:8443", insecure_http: true}
signing: {keys: [{cert_file: s.crt, key_file: s.key}]}
relying_parties: [{name: adfs, identifier: "`+benchRealm+`", reply_url: "https://adfs.example.test/adfs/ls/"}]
directory: {users_file: {path: users.yaml}}
mfa: {encryption_key: 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff}
audit: {log: none, store: false}
`), 0o600)
	cfg, err := config.Load(filepath.Join(dir, "c.yaml"), nil)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	a, err := Build(context.Background(), cfg, Options{Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	srv := httptest.NewServer(a.Handler)
	b.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	get := func(u string) string {
		resp, err := c.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(body)
	}
	post := func(u string, v url.Values) string {
		resp, err := c.PostForm(u, v)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(body)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	page := get(srv.URL + "/wsfed?wa=wsignin1.0&wtrealm=" + url.QueryEscape(benchRealm))
	page = post(srv.URL+"/login", url.Values{"csrf": {csrf.FindStringSubmatch(page)[1]}, "username": {"alice"}, "password": {"pw"}})
	page = post(srv.URL+"/login/code", url.Values{"csrf": {csrf.FindStringSubmatch(page)[1]}, "code": {mfa.TOTPAt(secret, now, mfa.OATHParams{})}})
	if !strings.Contains(page, `name="wresult"`) {
		b.Fatalf("sign-in did not finish: %s", page)
	}
	return srv, c
}

// BenchmarkSingleSignOnToken measures the hot path after sign-in: a WS-Fed
// request from AD FS for a browser with a finished session, answered with
// a freshly signed token on the auto-POST page (session read and write,
// issuance, rendering, all middleware).
func BenchmarkSingleSignOnToken(b *testing.B) {
	srv, c := signedInClient(b)
	u := srv.URL + "/wsfed?wa=wsignin1.0&wctx=bench&wtrealm=" + url.QueryEscape(benchRealm)
	b.ResetTimer()
	for b.Loop() {
		resp, err := c.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "wresult") {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

// BenchmarkMetadata measures serving the cached, signed metadata.
func BenchmarkMetadata(b *testing.B) {
	srv, c := signedInClient(b)
	for b.Loop() {
		resp, err := c.Get(srv.URL + "/FederationMetadata/2007-06/FederationMetadata.xml")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// BenchmarkSingleSignOnTokenParallel is the same path under concurrent
// load (GOMAXPROCS goroutines sharing one session): the throughput one
// claimgate process sustains for token issuance on this machine.
func BenchmarkSingleSignOnTokenParallel(b *testing.B) {
	srv, c := signedInClient(b)
	u := srv.URL + "/wsfed?wa=wsignin1.0&wctx=bench&wtrealm=" + url.QueryEscape(benchRealm)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.Get(u)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}
