package main

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/internal/testutil"
)

// The pysaml2 tests put an independent SAML 2.0 service provider in front
// of claimgate: Debian's python3-pysaml2, run by the small one-shot driver
// testdata/pysaml2/sp.py. pysaml2 writes the SP's metadata, builds the
// AuthnRequests and judges the Responses; claimgate only ever sees what
// pysaml2 made, as it would from a Shibboleth or SimpleSAMLphp SP.

// pysaml2Python is Debian's interpreter: python3-pysaml2 installs into its
// dist-packages, and a python3 earlier on PATH (pyenv, a virtualenv) does
// not see them.
const pysaml2Python = "/usr/bin/python3"

// pysaml2Driver is the driver script, relative to this package.
const pysaml2Driver = "testdata/pysaml2/sp.py"

// requirePySAML2 fails (never skips) unless Debian's pysaml2 imports, and
// returns its version for the log.
func requirePySAML2(t *testing.T) string {
	t.Helper()
	out, err := exec.Command(pysaml2Python, "-c",
		`import importlib.metadata, saml2; print(importlib.metadata.version("pysaml2"))`).CombinedOutput()
	if err != nil {
		t.Fatalf("Debian's pysaml2 is not installed (%s cannot import saml2: %v: %s); "+
			"make test installs it (scripts/install-deps.sh: apt-get install python3-pysaml2)", pysaml2Python, err, out)
	}
	return strings.TrimSpace(string(out))
}

// pysaml2SP is one SP of pysaml2's, with its own key pairs (made by
// openssl, not by claimgate) and its own signed metadata.
type pysaml2SP struct {
	t        *testing.T
	dir      string
	entityID string
	acs      string // never served: the test reads the auto-POST form instead
	// nameIDFormat is in the metadata and the requests' NameIDPolicy; ""
	// leaves both out.
	nameIDFormat string
	// requestsSigned is AuthnRequestsSigned="true" in the metadata.
	requestsSigned bool
	idpMetadata    string // claimgate's metadata, once fetched
}

// newPySAML2SP makes the SP's signing and encryption key pairs and has
// pysaml2 write and sign its metadata.
func newPySAML2SP(t *testing.T, name, nameIDFormat string, requestsSigned bool) *pysaml2SP {
	t.Helper()
	requirePySAML2(t)
	sp := &pysaml2SP{t: t, dir: t.TempDir(), entityID: "https://" + name + ".pysaml2.example/sp",
		acs: "https://" + name + ".pysaml2.example/acs", nameIDFormat: nameIDFormat, requestsSigned: requestsSigned}
	for _, k := range []string{"sign", "enc"} {
		cmd := exec.Command(testutil.RequireTool(t, "openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
			"-subj", "/CN=pysaml2 "+name+" "+k, "-keyout", sp.path(k+".key"), "-out", sp.path(k+".crt"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl req (%s key): %v\n%s", k, err, out)
		}
	}
	if _, err := sp.run("metadata", "--out", sp.metadataFile()); err != nil {
		t.Fatalf("pysaml2 metadata: %v", err)
	}
	return sp
}

func (sp *pysaml2SP) path(name string) string { return filepath.Join(sp.dir, name) }
func (sp *pysaml2SP) metadataFile() string    { return sp.path("sp-metadata.xml") }

// thumbprint is the SHA-1 thumbprint of the certificate pysaml2 signed its
// metadata with, the pin claimgate is configured with.
func (sp *pysaml2SP) thumbprint() string {
	sp.t.Helper()
	b, err := os.ReadFile(sp.path("sign.crt"))
	if err != nil {
		sp.t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		sp.t.Fatalf("sign.crt is not PEM")
	}
	sum := sha1.Sum(blk.Bytes)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// yaml is this SP's entry under saml2.service_providers; extra lines are
// added indented as the entry's keys.
func (sp *pysaml2SP) yaml(name string, extra ...string) string {
	s := fmt.Sprintf("    - name: %s\n      metadata:\n        file: %s\n        signing_thumbprints: [%s]\n",
		name, sp.metadataFile(), sp.thumbprint())
	for _, l := range extra {
		s += "      " + l + "\n"
	}
	return s
}

// fetchIdPMetadata gives pysaml2 claimgate's published metadata, as an SP
// administrator downloads it.
func (sp *pysaml2SP) fetchIdPMetadata(base string) {
	sp.t.Helper()
	resp, err := http.Get(base + "/FederationMetadata/2007-06/FederationMetadata.xml")
	if err != nil {
		sp.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		sp.t.Fatalf("claimgate metadata: %d %v", resp.StatusCode, err)
	}
	sp.idpMetadata = sp.path("idp-metadata.xml")
	if err := os.WriteFile(sp.idpMetadata, b, 0o644); err != nil {
		sp.t.Fatal(err)
	}
}

// run runs the driver with the SP's configuration and returns its JSON;
// a refusal is an error carrying pysaml2's reason.
func (sp *pysaml2SP) run(cmd string, args ...string) ([]byte, error) {
	sp.t.Helper()
	argv := append([]string{pysaml2Driver, cmd}, args...)
	argv = append(argv, "--entity-id", sp.entityID, "--acs", sp.acs,
		"--sign-key", sp.path("sign.key"), "--sign-cert", sp.path("sign.crt"),
		"--enc-key", sp.path("enc.key"), "--enc-cert", sp.path("enc.crt"))
	if sp.idpMetadata != "" {
		argv = append(argv, "--idp-metadata", sp.idpMetadata)
	}
	if sp.nameIDFormat != "" {
		argv = append(argv, "--name-id-format", sp.nameIDFormat)
	}
	if sp.requestsSigned {
		argv = append(argv, "--authn-requests-signed")
	}
	var stdout, stderr bytes.Buffer
	c := exec.Command(pysaml2Python, argv...)
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		return nil, &pysaml2Refusal{cmd: cmd, err: err, stderr: stderr.String()}
	}
	return stdout.Bytes(), nil
}

// pysaml2Refusal is a driver run that failed: Reason is its last line,
// "refused: ExceptionClass: message", naming what pysaml2 objected to.
type pysaml2Refusal struct {
	cmd    string
	err    error
	stderr string
}

func (r *pysaml2Refusal) Reason() string {
	l := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	return l[len(l)-1]
}

func (r *pysaml2Refusal) Error() string {
	return fmt.Sprintf("sp.py %s: %v: %s", r.cmd, r.err, r.Reason())
}

// refusedFor fails the test unless err is pysaml2 refusing with the
// exception class want: a refusal for another reason (a crash of the
// driver, a different check) proves nothing about the one under test.
func refusedFor(t *testing.T, err error, want string) {
	t.Helper()
	var r *pysaml2Refusal
	if !errors.As(err, &r) {
		t.Fatalf("pysaml2 accepted it (or the driver did not run): %v", err)
	}
	if !strings.HasPrefix(r.Reason(), "refused: "+want+":") {
		t.Fatalf("pysaml2 refused it, but not with %s:\n%s", want, r.stderr)
	}
	t.Logf("pysaml2 %s", r.Reason())
}

// pysaml2Request is an AuthnRequest pysaml2 made for HTTP-Redirect.
type pysaml2Request struct {
	ID         string `json:"request_id"`
	RelayState string `json:"relay_state"`
	URL        string `json:"url"`
	Signed     bool   `json:"signed"`
	SigAlg     string `json:"sig_alg"`
}

// login has pysaml2 build its AuthnRequest, signed or not.
func (sp *pysaml2SP) login(sign bool) pysaml2Request {
	sp.t.Helper()
	args := []string{}
	if sign {
		args = append(args, "--sign")
	}
	out, err := sp.run("login", args...)
	if err != nil {
		sp.t.Fatalf("pysaml2 login: %v", err)
	}
	var r pysaml2Request
	if err := json.Unmarshal(out, &r); err != nil {
		sp.t.Fatalf("pysaml2 login printed %q: %v", out, err)
	}
	if r.Signed != sign {
		sp.t.Fatalf("asked pysaml2 for signed=%v, its redirect URL has a signature: %v (%s)", sign, r.Signed, r.URL)
	}
	return r
}

// pysaml2Result is what pysaml2 accepted from a Response.
type pysaml2Result struct {
	NameID       string              `json:"name_id"`
	Format       string              `json:"format"`
	Attributes   map[string][]string `json:"attributes"`
	Issuer       string              `json:"issuer"`
	InResponseTo string              `json:"in_response_to"`
	Encrypted    bool                `json:"encrypted"`
	AuthnContext string              `json:"authn_context"`
}

// judge gives pysaml2's ACS the posted SAMLResponse and RelayState for
// req; an error is pysaml2's refusal.
func (sp *pysaml2SP) judge(req pysaml2Request, samlResponse, relayState string) (*pysaml2Result, error) {
	sp.t.Helper()
	f, err := os.CreateTemp(sp.dir, "response-*.b64")
	if err != nil {
		sp.t.Fatal(err)
	}
	if _, err := f.WriteString(samlResponse); err != nil {
		sp.t.Fatal(err)
	}
	f.Close()
	// --x=VALUE: a RelayState may start with "-".
	out, err := sp.run("acs", "--response", f.Name(), "--relay-state="+relayState,
		"--request-id="+req.ID, "--sent-relay-state="+req.RelayState)
	if err != nil {
		return nil, err
	}
	var r pysaml2Result
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, fmt.Errorf("pysaml2 acs printed %q: %w", out, err)
	}
	return &r, nil
}

// pysaml2Browser walks claimgate's real sign-in pages with an HTTP client
// and a cookie jar, filling in the forms as a user would. It stops at the
// auto-POST page: the Response is handed to pysaml2 by the test, since
// the SP's ACS is not a server.
type pysaml2Browser struct{ *xffClient }

func newPySAML2Browser(t *testing.T, fx *fixture) pysaml2Browser {
	// No trusted proxy is configured, so the X-Forwarded-For this client
	// adds is ignored: every request is from 127.0.0.1.
	return pysaml2Browser{newXFFClient(t, fx, "127.0.0.1")}
}

// open follows pysaml2's redirect to claimgate and returns the status and
// the path it ended at.
func (b pysaml2Browser) open(u string) (int, string) {
	st := b.read(b.c.Get(u))
	return st, b.path
}

// signIn passes the password and code pages from the password page.
func (b pysaml2Browser) signIn(user, password, code string) {
	b.t.Helper()
	if st := b.post("/login", url.Values{"username": {user}, "password": {password}}); st != 200 || b.path != "/login/code" {
		b.t.Fatalf("after the password: %d at %s:\n%s", st, b.path, b.last)
	}
	if st := b.post("/login/code", url.Values{"code": {code}}); st != 200 {
		b.t.Fatalf("after the code: %d at %s:\n%s", st, b.path, b.last)
	}
}

// posted is the auto-POST form on the current page: its action and fields.
func (b pysaml2Browser) posted() (string, url.Values, error) {
	m := formAction.FindStringSubmatch(b.last)
	if m == nil {
		return "", nil, errors.New("no auto-POST form on " + b.path)
	}
	form := url.Values{}
	for _, f := range hiddenField.FindAllStringSubmatch(b.last, -1) {
		form.Set(html.UnescapeString(f[1]), html.UnescapeString(f[2]))
	}
	return html.UnescapeString(m[1]), form, nil
}
