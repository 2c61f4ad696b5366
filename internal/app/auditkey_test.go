package app

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/claimgate/claimgate/internal/store"
)

// TestAuditKeyMadeOnceAndKept: the first call makes a private 32-byte key,
// later calls and processes racing it get the same one, no temporary file is
// left, and a key others can read or of the wrong size is refused.
func TestAuditKeyMadeOnceAndKept(t *testing.T) {
	dir := t.TempDir()
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := auditKey(dir)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		}()
	}
	wg.Wait()
	for _, k := range keys {
		if len(k) != auditKeySize || !bytes.Equal(k, keys[0]) {
			t.Fatalf("racing callers got different keys: %x", keys)
		}
	}
	if again, err := auditKey(dir); err != nil || !bytes.Equal(again, keys[0]) {
		t.Fatalf("second start: %x, %v; want the first key", again, err)
	}
	path := filepath.Join(dir, AuditKeyFile)
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v; want mode 0600", fi.Mode(), err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("files left in the data directory: %v", ents)
	}
	os.Chmod(path, 0o644)
	if _, err := auditKey(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a key others can read: %v", err)
	}
	os.WriteFile(path, []byte("short"), 0o600)
	if _, err := auditKey(dir); err == nil {
		t.Error("a 5-byte key was accepted")
	}
}

// TestUnknownUserAuditedUnderTheDataDirKey: through the wired service, a
// sign-in with a name that matched no account leaves a stored record
// without the name, whose token is the HMAC under the data directory's key;
// a wrong password for alice keeps her name.
func TestUnknownUserAuditedUnderTheDataDirKey(t *testing.T) {
	md, err := filepath.Abs(filepath.Join("..", "..", "sts", "adfsmeta", "testdata", "adfs-v4-metadata.xml"))
	if err != nil {
		t.Fatal(err)
	}
	a, dir := buildFromYAML(t, `relying_parties:
  - name: lab AD FS
    metadata:
      file: `+md+`
      signing_thumbprints: [D5FE73910389B58BBB3B0EBB87FDF110FF79FEBB]
`)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	const typed = "Hunter2-typed-as-a-name"
	signIn(t, srv, typed)
	signIn(t, srv, "alice")

	recs, err := a.Store.ListAudit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if all, _ := json.Marshal(recs); bytes.Contains(bytes.ToLower(all), []byte(strings.ToLower(typed))) {
		t.Fatalf("the typed name is in the audit trail: %s", all)
	}
	key, err := os.ReadFile(filepath.Join(dir, AuditKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.ToLower(typed)))
	want := "unknown:" + hex.EncodeToString(m.Sum(nil)[:8])
	var unknown, alice bool
	for _, r := range recs {
		unknown = unknown || (r.Reason == "unknown_user" && r.User == want)
		alice = alice || (r.Reason == "bad_password" && r.User == "alice")
	}
	if !unknown || !alice {
		t.Errorf("want an unknown_user record for %s and a bad_password one for alice: %+v", want, recs)
	}
}

// signIn starts a sign-in for AD FS's realm and posts user with a wrong
// password. The session cookie is carried by hand: it is Secure and the
// test server is plain HTTP.
func signIn(t *testing.T, srv *httptest.Server, user string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(req *http.Request, cookie string) (*http.Response, string) {
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/wsfed?wa=wsignin1.0&wtrealm="+url.QueryEscape(v4Identifier)+"&wctx=abc", nil)
	res, _ := do(req, "")
	if len(res.Cookies()) == 0 {
		t.Fatalf("sign-in start: %d, no session cookie", res.StatusCode)
	}
	cookie := res.Cookies()[0].Name + "=" + res.Cookies()[0].Value
	req, _ = http.NewRequest("GET", srv.URL+"/login", nil)
	_, page := do(req, cookie)
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if csrf == nil {
		t.Fatalf("no CSRF token on the login page:\n%s", page)
	}
	form := url.Values{"csrf": {csrf[1]}, "username": {user}, "password": {"not the password"}}
	req, _ = http.NewRequest("POST", srv.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if res, _ := do(req, cookie); res.StatusCode != http.StatusOK {
		t.Fatalf("POST /login for %s: %d", user, res.StatusCode)
	}
}
