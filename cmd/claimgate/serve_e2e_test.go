package main

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/internal/userfile"
)

// The serve end-to-end tests run the real `claimgate serve --config FILE`
// in-process, with a configuration file, users file, signing key and
// encryption key written into t.TempDir(), and a relying party of their
// own (rp_e2e_test.go) on a separate loopback server playing AD FS.

// signingKey is made once per test binary: RSA generation is the slowest
// part of a fixture and the tests do not depend on a particular key.
var signingKey = sync.OnceValues(func() (*certs.KeyPair, error) {
	return certs.Generate(certs.GenerateOptions{CommonName: "claimgate e2e token signing"})
})

// e2eUser is one users-file entry with its clear-text password.
type e2eUser struct {
	Name, Password string
	TOTP           string // Base32 seed in the users file; "" for none
	Mobile         string
	SID            string
	Groups         []string
}

// fixture is the files of one claimgate deployment.
type fixture struct {
	dir       string // everything lives here
	cfgPath   string
	addr      string // 127.0.0.1:port claimgate listens on
	base      string // http://addr
	auditPath string
	cert      *x509.Certificate
	rp        *relyingParty
	users     map[string]e2eUser
	env       map[string]string // what getenv answers for serve and the CLI
}

// serveConfig is what varies between the tests' configurations. Each
// string is YAML placed as-is: mfa is indented under "mfa:", directory
// replaces the users file, extra is appended at the top level.
type serveConfig struct {
	mfa       string
	directory string
	extra     string
	server    string // lines under "server:", unindented
}

func newFixture(t *testing.T, users ...e2eUser) *fixture {
	t.Helper()
	kp, err := signingKey()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fx := &fixture{dir: dir, cfgPath: filepath.Join(dir, "claimgate.yaml"), addr: testutil.FreeAddr(t),
		auditPath: filepath.Join(dir, "audit.log"), cert: kp.Certificate, users: map[string]e2eUser{}, env: map[string]string{}}
	fx.base = "http://" + fx.addr
	if err := certs.WritePEM(kp, filepath.Join(dir, "signing.crt"), filepath.Join(dir, "signing.key"), false); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mfa.key"), []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	fx.rp = newRelyingParty(t, fx.base+"/wsfed", kp.Certificate)
	f := &userfile.File{Domain: "E2E"}
	for i, u := range users {
		h, err := mfa.HashPassword(u.Password, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if u.SID == "" {
			u.SID = fmt.Sprintf("S-1-5-21-1004336348-1177238915-682003330-%d", 1601+i)
		}
		f.Users = append(f.Users, userfile.User{Username: u.Name, UPN: u.Name + "@e2e.example", DisplayName: u.Name,
			Mobile: u.Mobile, SID: u.SID, PrimaryGroupSID: "S-1-5-21-1004336348-1177238915-682003330-513",
			GroupSIDs: u.Groups, PasswordHash: h, TOTPSecret: u.TOTP})
		fx.users[u.Name] = u
	}
	if len(users) > 0 {
		if err := userfile.Write(filepath.Join(dir, "users.yaml"), f); err != nil {
			t.Fatal(err)
		}
	}
	return fx
}

// writeConfig writes claimgate.yaml for c.
func (fx *fixture) writeConfig(t *testing.T, c serveConfig) {
	t.Helper()
	dirYAML := c.directory
	if dirYAML == "" {
		dirYAML = "directory:\n  users_file:\n    path: users.yaml\n"
	}
	mfaYAML := "mfa:\n  encryption_key: {file: mfa.key}\n"
	for _, l := range strings.Split(strings.TrimRight(c.mfa, "\n"), "\n") {
		if l != "" {
			mfaYAML += "  " + l + "\n"
		}
	}
	yaml := fmt.Sprintf(`# written by the serve end-to-end tests
entity_id: urn:claimgate:e2e
base_url: %[1]s
data_dir: data
server:
  listen: %[2]s
  insecure_http: true
  shutdown_timeout: 5s
%[9]ssigning:
  keys:
    - cert_file: signing.crt
      key_file: signing.key
relying_parties:
  - name: e2e relying party
    identifier: %[3]s
    reply_url: %[4]s
%[5]s%[6]saudit:
  log: %[7]s
  store: true
logging:
  level: debug
  format: json
%[8]s`, fx.base, fx.addr, rpRealm, fx.rp.replyURL(), dirYAML, mfaYAML, fx.auditPath, c.extra, indent(c.server))
	if err := os.WriteFile(fx.cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
}

// indent puts two spaces before each line of block.
func indent(block string) string {
	out := ""
	for _, l := range strings.Split(strings.TrimRight(block, "\n"), "\n") {
		if l != "" {
			out += "  " + l + "\n"
		}
	}
	return out
}

func (fx *fixture) getenv(k string) string { return fx.env[k] }

// cli runs `claimgate ARGS... --config FILE` in-process and fails the test
// unless it exits 0.
func (fx *fixture) cli(t *testing.T, args ...string) string {
	t.Helper()
	args = append(args[:len(args):len(args)], "--config", fx.cfgPath)
	code, out, errOut := runCmd(t, "", fx.getenv, args...)
	if code != 0 {
		t.Fatalf("claimgate %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// server is one running `claimgate serve`.
type server struct {
	fx     *fixture
	stderr *syncBuffer // the service log (JSON lines)
	cancel context.CancelFunc
	done   chan int
	once   sync.Once
}

// startServe runs `claimgate serve --config FILE` until the test ends (or
// stop), and returns once /healthz answers.
func startServe(t *testing.T, fx *fixture) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{fx: fx, stderr: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	var stdout syncBuffer
	go func() {
		s.done <- run(&env{ctx: ctx, stdin: strings.NewReader(""), stdout: &stdout, stderr: s.stderr, getenv: fx.getenv},
			[]string{"serve", "--config", fx.cfgPath})
	}()
	t.Cleanup(func() { s.stop(t) })
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case code := <-s.done:
			s.done <- code
			t.Fatalf("serve exited early with %d:\n%s", code, s.stderr.String())
		default:
		}
		resp, err := http.Get(fx.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer /healthz within 20 s: %v\n%s", err, s.stderr.String())
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// stop ends the service the way SIGTERM does and checks it exits cleanly.
func (s *server) stop(t *testing.T) {
	s.once.Do(func() {
		s.cancel()
		select {
		case code := <-s.done:
			if code != 0 {
				t.Errorf("serve exited with %d:\n%s", code, s.stderr.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop within 15 s of its context ending")
		}
	})
}

// healthy reports whether /healthz answers 200 now.
func (s *server) healthy() bool {
	resp, err := http.Get(s.fx.base + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
