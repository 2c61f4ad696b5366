package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/claimgate/claimgate/certs"
)

// realm is the relying party every sign-in asks for.
const realm = "urn:loadgen:rp"

// Loopback source addresses: legitimate users connect each from its own
// address (userAddr), or all from legitAddr with -shared-addr (one NAT);
// the single-address attacker from attackerAddr, and the many-address
// attacker through proxyAddr, the one trusted proxy, which sets
// X-Forwarded-For.
const (
	legitAddr    = "127.0.0.1"
	proxyAddr    = "127.0.0.2"
	attackerAddr = "127.0.0.3"
)

// deployment is one claimgate set up for a run, in its own directory.
type deployment struct {
	dir, bin, cfgPath string
	signer            string // signing.signer
	base              string // http://127.0.0.1:port
	cert              *x509.Certificate
	env               []string // the server's and the CLI's environment
	addr              string
	ad                sambaEnv
}

// newDeployment builds the binary from this module (with -tags openssl for
// signer "openssl") and writes a signing key, an encryption key and the
// configuration into dir, with claimgate talking to the DC directly.
func newDeployment(ctx context.Context, dir, src, signer string, ad sambaEnv, rnd io.Reader) (*deployment, error) {
	d := &deployment{dir: dir, bin: filepath.Join(dir, "claimgate"), cfgPath: filepath.Join(dir, "claimgate.yaml"), ad: ad, signer: signer}
	args := []string{"build", "-o", d.bin}
	if signer == "openssl" {
		args = append(args, "-tags", "openssl")
	}
	build := exec.CommandContext(ctx, "go", append(args, "github.com/claimgate/claimgate/cmd/claimgate")...)
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build claimgate: %v\n%s", err, out)
	}
	kp, err := certs.Generate(certs.GenerateOptions{CommonName: "claimgate loadgen token signing", Rand: rnd})
	if err != nil {
		return nil, err
	}
	d.cert = kp.Certificate
	if err := certs.WritePEM(kp, filepath.Join(dir, "signing.crt"), filepath.Join(dir, "signing.key"), false); err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := io.ReadFull(rnd, key); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "mfa.key"), []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, err
	}
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o700); err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	d.base, d.addr = "http://"+addr, addr
	d.env = append(os.Environ(), "CLAIMGATE_TEST_LDAP_BIND_PASSWORD="+ad["CLAIMGATE_TEST_LDAP_BIND_PASSWORD"])
	if err := d.writeConfig(ad["CLAIMGATE_TEST_LDAP_URL"], ad["CLAIMGATE_TEST_LDAP_CA_FILE"]); err != nil {
		return nil, err
	}
	return d, nil
}

// writeConfig (re)writes the configuration with claimgate reaching the
// directory at ldapURL (the DC, or the counting proxy in front of it).
// Lockout keeps its defaults: the spray measures the shipped policy.
func (d *deployment) writeConfig(ldapURL, caFile string) error {
	ad, addr := d.ad, d.addr
	cfg := fmt.Sprintf(`# written by internal/tools/loadgen
entity_id: urn:claimgate:loadgen
base_url: %[1]s
data_dir: data
server:
  listen: %[2]s
  insecure_http: true
  trusted_proxies: [%[3]s/32]
  session:
    cookie_name: %[10]s
signing:
  signer: %[11]s
  keys:
    - cert_file: signing.crt
      key_file: signing.key
relying_parties:
  - name: loadgen relying party
    identifier: %[4]s
    reply_url: https://rp.loadgen.test/adfs/ls/
directory:
  ldap:
    urls: [%[5]s]
    ca_file: %[6]s
    bind_dn: %[7]q
    bind_password: {env: CLAIMGATE_TEST_LDAP_BIND_PASSWORD}
    base_dn: %[8]q
    netbios_domain: %[9]s
mfa:
  encryption_key: {file: mfa.key}
audit:
  log: audit.log
  store: true
logging:
  level: info
  format: json
`, d.base, addr, proxyAddr, realm, ldapURL, caFile, ad["CLAIMGATE_TEST_LDAP_BIND_DN"],
		ad["CLAIMGATE_TEST_LDAP_BASE_DN"], ad["CLAIMGATE_TEST_LDAP_NETBIOS"], sessionCookie, d.signer)
	return os.WriteFile(d.cfgPath, []byte(cfg), 0o600)
}

// cli runs `claimgate ARGS --config FILE` to the end.
func (d *deployment) cli(ctx context.Context, args ...string) (string, error) {
	args = append(args, "--config", d.cfgPath)
	cmd := exec.CommandContext(ctx, d.bin, args...)
	cmd.Dir, cmd.Env = d.dir, d.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("claimgate %s: %v\n%s", args[0], err, out)
	}
	return string(out), nil
}

// importTokens gives every user its OATH token in one token-import run:
// one process and one directory lookup per user, instead of K CLI runs.
func (d *deployment) importTokens(ctx context.Context, users []*vuser, kind string) error {
	path := filepath.Join(d.dir, "tokens.pskcxml")
	if err := os.WriteFile(path, pskc(users, kind), 0o600); err != nil {
		return err
	}
	args := []string{"users", "token-import", "--pskc", path}
	for _, u := range users {
		args = append(args, "--assign", u.serial()+"="+u.name)
	}
	out, err := d.cli(ctx, args...)
	if err != nil {
		return err
	}
	if want := fmt.Sprintf("%d token(s) imported", len(users)); !strings.Contains(out, want) {
		return fmt.Errorf("token-import: want %q in:\n%s", want, out)
	}
	return nil
}

// server is the running `claimgate serve` child process.
type server struct {
	cmd     *exec.Cmd
	done    chan error
	log     *os.File
	toReady time.Duration // from the process start to the first 200 of /readyz
	stopped bool
	exit    error
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// ready is true when /readyz answers 200.
func ready(base string) bool {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(base + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// start runs the server and waits until /readyz answers 200 (directory,
// store and key ready), so no phase measures a warming server.
func (d *deployment) start(ctx context.Context) (*server, error) {
	logf, err := os.Create(filepath.Join(d.dir, "serve.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(d.bin, "serve", "--config", d.cfgPath)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = d.dir, d.env, logf, logf
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	s := &server{cmd: cmd, done: make(chan error, 1), log: logf}
	go func() { s.done <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-s.done:
			s.done <- err
			return nil, fmt.Errorf("claimgate serve exited early (%v); log %s", err, logf.Name())
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		default:
		}
		if ready(d.base) {
			s.toReady = time.Since(t0)
			return s, nil
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("claimgate serve not ready within 30 s; log %s", logf.Name())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// stop sends SIGTERM (a clean shutdown flushes what the server batches)
// and waits for the exit.
// A second stop returns the first one's result.
func (s *server) stop() error {
	if s.stopped {
		return s.exit
	}
	s.stopped = true
	defer s.log.Close()
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case s.exit = <-s.done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		s.exit = fmt.Errorf("claimgate serve did not stop within 20 s")
	}
	return s.exit
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// pskc is an RFC 6030 container with one plain-text key per user: the
// format claimgate imports hardware tokens from.
func pskc(users []*vuser, kind string) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">` + "\n")
	for _, u := range users {
		data := "<Counter><PlainValue>0</PlainValue></Counter>"
		if kind == "totp" {
			data = "<TimeInterval><PlainValue>30</PlainValue></TimeInterval>"
		}
		fmt.Fprintf(&b, `<KeyPackage><DeviceInfo><SerialNo>%s</SerialNo></DeviceInfo>`+
			`<Key Id="%s" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:%s">`+
			`<AlgorithmParameters><ResponseFormat Length="6" Encoding="DECIMAL"/></AlgorithmParameters>`+
			`<Data><Secret><PlainValue>%s</PlainValue></Secret>%s</Data></Key></KeyPackage>`+"\n",
			u.serial(), u.serial(), kind, u.secretB64(), data)
	}
	b.WriteString("</KeyContainer>\n")
	return b.Bytes()
}
