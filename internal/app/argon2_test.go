package app

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/userfile"
)

// TestBuildSharesTheArgon2Limiter: Build hands Options.Argon2Limiter to
// the users file and to app passwords. Two Apps, as two generations
// overlapping after a reload, are built with one Limiter of one place,
// which the test holds. On the first, alice's right password (checked by
// the users file alone: no app password is tried after a success) waits
// for that place; on the second (app_password_only: the users file only
// looks her up) a password waits in the app password check. lim.Waiting
// counts each; once the place is free, each sign-in answers.
func TestBuildSharesTheArgon2Limiter(t *testing.T) {
	lim := mfa.NewLimiter(1)
	for _, c := range []struct {
		policy, password string
		want             int
	}{
		{config.DomainPasswordAllowed, "pw", http.StatusSeeOther},      // on to the second step
		{config.AppPasswordOnly, "not-an-app-password", http.StatusOK}, // the login page again
	} {
		t.Run(c.policy, func(t *testing.T) {
			a := buildWithLimiter(t, c.policy, lim)
			if c.policy == config.AppPasswordOnly {
				// A user without live app passwords is paced, not derived
				// (login/spray.go): give alice one, so her check derives.
				h := mfa.ForUser("alice").Hash(mfa.NormalizeAppPassword("abcd-efgh-jkmn-pqrs"))
				if _, err := a.Store.CreateAppPassword(context.Background(), store.AppPassword{User: "alice", Name: "x", Hash: h}); err != nil {
					t.Fatal(err)
				}
			}
			srv := httptest.NewServer(a.Handler)
			defer srv.Close()
			post := startSignIn(t, srv)

			held, release := make(chan struct{}), make(chan struct{})
			var holder sync.WaitGroup
			holder.Go(func() { _ = lim.Run(context.Background(), func() { close(held); <-release }) })
			<-held
			done := make(chan int, 1)
			go func() { done <- post("alice", c.password) }()
			for lim.Waiting() == 0 {
				select {
				case code := <-done:
					close(release)
					holder.Wait()
					t.Fatalf("sign-in answered %d without waiting for the process's Limiter", code)
				default:
					runtime.Gosched()
				}
			}
			close(release)
			holder.Wait()
			if code := <-done; code != c.want {
				t.Errorf("sign-in once the place was free: %d, want %d", code, c.want)
			}
		})
	}
}

// buildWithLimiter builds the service over a users file holding alice,
// with the given app password policy and Argon2Limiter.
func buildWithLimiter(t *testing.T, policy string, lim *mfa.Limiter) *App {
	t.Helper()
	dir := t.TempDir()
	kp, err := certs.Generate(certs.GenerateOptions{})
	if err != nil {
		t.Fatal(err)
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
	path := filepath.Join(dir, "claimgate.yaml")
	if err := writeFile(path, `entity_id: https://sts.example.test/
base_url: https://sts.example.test
data_dir: `+dir+`
server: {listen: 127.0.0.1:8443, insecure_http: true}
signing:
  keys: [{cert_file: s.crt, key_file: s.key}]
`+wsfedParty+`directory:
  users_file: {path: users.yaml}
mfa:
  encryption_key: 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
  app_passwords: {policy: `+policy+`}
audit: {log: none}
`); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Build(context.Background(), cfg, Options{Argon2Limiter: lim})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// startSignIn starts a WS-Fed sign-in and returns a function that posts
// the login form of that session and gives the status. The session cookie
// is carried by hand: it is Secure and the test server is plain HTTP.
func startSignIn(t *testing.T, srv *httptest.Server) (post func(user, password string) int) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(req *http.Request, cookie string) (*http.Response, string, error) {
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		res, err := client.Do(req)
		if err != nil {
			return nil, "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res, string(b), err
	}
	req, _ := http.NewRequest("GET", srv.URL+"/wsfed?wa=wsignin1.0&wtrealm="+url.QueryEscape("http://adfs.example.com/adfs/services/trust"), nil)
	res, _, err := do(req, "")
	if err != nil || len(res.Cookies()) == 0 {
		t.Fatalf("sign-in start: %v, no session cookie", err)
	}
	cookie := res.Cookies()[0].Name + "=" + res.Cookies()[0].Value
	req, _ = http.NewRequest("GET", srv.URL+"/login", nil)
	_, page, err := do(req, cookie)
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if err != nil || csrf == nil {
		t.Fatalf("no CSRF token on the login page (%v):\n%s", err, page)
	}
	return func(user, password string) int {
		form := url.Values{"csrf": {csrf[1]}, "username": {user}, "password": {password}}
		req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, _, err := do(req, cookie)
		if err != nil {
			t.Error(errors.Join(errors.New("POST /login"), err))
			return 0
		}
		return res.StatusCode
	}
}
