package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/adfsscript"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/internal/userfile"
)

// TestHelpForEveryCommand: -h explains each command on stdout and exits 0.
func TestHelpForEveryCommand(t *testing.T) {
	code, out, _ := runCmd(t, "", nil, "--help")
	if code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	for _, c := range commands() {
		if !strings.Contains(out, c.name) {
			t.Errorf("--help does not list %s", c.name)
		}
		args := []string{c.name, "-h"}
		switch c.name {
		case "certs", "totp", "adfs":
			args = []string{c.name, map[string]string{"certs": "new", "totp": "new", "adfs": "script"}[c.name], "-h"}
		}
		code, out, errOut := runCmd(t, "", nil, args...)
		if c.name == "version" {
			continue
		}
		if code != 0 || !strings.Contains(out, "Usage: claimgate "+c.name) || len(out) < 150 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	if code, _, errOut := runCmd(t, "", nil, "frobnicate"); code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, %q", code, errOut)
	}
	if code, out, _ := runCmd(t, "", nil, "version"); code != 0 || !strings.HasPrefix(out, "claimgate ") {
		t.Errorf("version: %d %q", code, out)
	}
}

// TestBrokenConfigListsEveryProblem: a bad file gives a non-zero exit and
// every problem with its path, and no secret.
func TestBrokenConfigListsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "bad.yaml")
	os.WriteFile(cfg, []byte(`entity_id: not a uri
base_url: ftp://x
server:
  listen: nowhere
signing:
  keys: []
relying_parties:
  - name: adfs
    identifier: ""
    reply_url: "https://adfs.example.com/adfs/ls/?x=1"
directory:
  ldap:
    urls: ["ldap://dc1"]
    bind_password: hunter2-secret
mfa:
  encryption_key: short
frobnicate: true
`), 0o600)
	for _, cmd := range []string{"serve", "check", "metadata"} {
		code, _, errOut := runCmd(t, "", nil, cmd, "--config", cfg)
		if code == 0 {
			t.Fatalf("%s: exit 0 on a broken config", cmd)
		}
		for _, want := range []string{"entity_id", "base_url", "server.listen", "signing.keys", "relying_parties[0]", "frobnicate", "mfa.encryption_key"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("%s: error does not mention %s:\n%s", cmd, want, errOut)
			}
		}
		if strings.Contains(errOut, "hunter2") || strings.Contains(errOut, "goroutine") {
			t.Errorf("%s: error leaks a secret or a stack:\n%s", cmd, errOut)
		}
	}
	if code, _, errOut := runCmd(t, "", nil, "serve"); code == 0 || !strings.Contains(errOut, "--config") {
		t.Errorf("serve without --config: %d %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, "", nil, "serve", "--config", filepath.Join(dir, "missing.yaml")); code == 0 || !strings.Contains(errOut, "missing.yaml") {
		t.Errorf("missing file: %d %q", code, errOut)
	}
}

// TestCertsNewAndMetadata: certs new writes a usable key pair and prints
// thumbprints that match the certificate; metadata signed with it verifies
// with xmlsec1, and fails once tampered.
func TestCertsNewAndMetadata(t *testing.T) {
	dir := t.TempDir()
	crt, key := filepath.Join(dir, "s.crt"), filepath.Join(dir, "s.key")
	code, out, errOut := runCmd(t, "", nil, "certs", "new", "--cert", crt, "--key", key, "--cn", "test signing")
	if code != 0 {
		t.Fatalf("certs new: %d %s", code, errOut)
	}
	kp, err := certs.LoadPEM(crt, key)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "SHA-1 thumbprint: "+certs.ThumbprintSHA1(kp.Certificate)) || !strings.Contains(out, "SHA-256 thumbprint: "+certs.ThumbprintSHA256(kp.Certificate)) {
		t.Errorf("thumbprints not printed: %s", out)
	}
	if st, _ := os.Stat(key); st.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v", st.Mode().Perm())
	}
	if code, _, _ := runCmd(t, "", nil, "certs", "new", "--cert", crt, "--key", key); code == 0 {
		t.Error("certs new overwrote existing files")
	}
	cfg := writeConfig(t, dir, crt, key)
	code, md, errOut := runCmd(t, "", nil, "metadata", "--config", cfg)
	if code != 0 {
		t.Fatalf("metadata: %d %s", code, errOut)
	}
	if out, ok := testutil.XMLSecVerify(t, []byte(md), testutil.XMLSecMetadataID, crt); !ok {
		t.Fatalf("xmlsec1 rejects our metadata: %s", out)
	}
	tampered := strings.Replace(md, "https://sts.example.test/wsfed", "https://evil.example/wsfed", 1)
	if tampered == md {
		t.Fatal("tamper target not found")
	}
	if _, ok := testutil.XMLSecVerify(t, []byte(tampered), testutil.XMLSecMetadataID, crt); ok {
		t.Fatal("xmlsec1 accepts tampered metadata")
	}
	// Loose key permissions are refused with the fix in the message.
	os.Chmod(key, 0o644)
	if code, _, errOut := runCmd(t, "", nil, "metadata", "--config", cfg); code == 0 || !strings.Contains(errOut, "chmod 600") {
		t.Errorf("loose key accepted: %d %q", code, errOut)
	}
}

func writeConfig(t *testing.T, dir, crt, key string) string {
	t.Helper()
	users := filepath.Join(dir, "users.yaml")
	h, err := mfa.HashPassword("pw", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := userfile.Write(users, &userfile.File{Domain: "EXAMPLE", Users: []userfile.User{{Username: "alice", UPN: "alice@example.test",
		SID: "S-1-5-21-1-2-3-1105", GroupSIDs: []string{"S-1-5-21-1-2-3-513"}, PasswordHash: h}}}); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "claimgate.yaml")
	os.WriteFile(cfg, []byte(`entity_id: https://sts.example.test/
base_url: https://sts.example.test
data_dir: `+dir+`
server:
  listen: 127.0.0.1:8443
  insecure_http: true
signing:
  keys:
    - cert_file: `+crt+`
      key_file: `+key+`
relying_parties:
  - name: Contoso AD FS
    identifier: http://adfs.example.test/adfs/services/trust
    reply_url: https://adfs.example.test/adfs/ls/
directory:
  users_file:
    path: users.yaml
mfa:
  encryption_key: 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
adfs:
  claims_provider_name: claimgate MFA
  relying_party_trusts: ["Skype for Business"]
`), 0o600)
	return cfg
}

// TestUserTools: hash-password output checks against the password;
// totp new prints a secret that oathtool accepts.
func TestUserTools(t *testing.T) {
	code, out, _ := runCmd(t, "correct horse\n", nil, "hash-password")
	if code != 0 {
		t.Fatalf("hash-password: %d", code)
	}
	if ok, err := mfa.CheckPassword(strings.TrimSpace(out), "correct horse"); !ok || err != nil {
		t.Fatalf("printed hash does not check: %v", err)
	}
	if strings.Contains(out, "correct horse") {
		t.Fatal("password echoed")
	}
	if code, _, _ := runCmd(t, "", nil, "hash-password"); code == 0 {
		t.Fatal("empty password accepted")
	}
	code, out, _ = runCmd(t, "", nil, "totp", "new", "--account", "alice@example.test")
	m := regexp.MustCompile(`secret: ([A-Z2-7]+)\nuri: (otpauth://totp/\S+)`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("totp new: %d %q", code, out)
	}
	secret, err := mfa.DecodeBase32(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) != 20 || !strings.Contains(m[2], "secret="+m[1]) {
		t.Fatalf("secret %d bytes, uri %s", len(secret), m[2])
	}
	if got := testutil.TOTP(t, m[1]); len(got) != 6 {
		t.Fatalf("oathtool: %q", got)
	}
}

// TestADFSScript: the generated PowerShell names our metadata URL and
// passes exactly the claim types we issue, in rules that parse.
func TestADFSScript(t *testing.T) {
	dir := t.TempDir()
	kp, err := certs.Generate(certs.GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	crt, key := filepath.Join(dir, "s.crt"), filepath.Join(dir, "s.key")
	if err := certs.WritePEM(kp, crt, key, false); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, crt, key)
	code, out, errOut := runCmd(t, "", nil, "adfs", "script", "--config", cfg)
	if code != 0 {
		t.Fatalf("adfs script: %d %s", code, errOut)
	}
	for _, want := range []string{"https://sts.example.test/FederationMetadata/2007-06/FederationMetadata.xml",
		"Add-AdfsClaimsProviderTrust", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "claimgate MFA", "Skype for Business",
		"http://schemas.microsoft.com/ws/2008/06/identity/claims/primarysid"} {
		if !strings.Contains(out, want) {
			t.Errorf("script lacks %q", want)
		}
	}
	if !strings.Contains(out, adfsscript.AcceptanceRules(defaultIssued(t, cfg))) {
		t.Error("script's acceptance rules are not exactly those for the issued claim types")
	}
}

// TestADFSScriptSAML: with saml2 on and the relying party's AD FS among
// the SAML service providers (by entity_id, or by its metadata file),
// adfs script registers the trust with -ProtocolProfile SAML and names the
// service provider; --protocol wsfed gives exactly the WS-Fed script;
// --protocol saml needs saml2 enabled.
func TestADFSScriptSAML(t *testing.T) {
	dir := t.TempDir()
	kp, err := certs.Generate(certs.GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	crt, key := filepath.Join(dir, "s.crt"), filepath.Join(dir, "s.key")
	if err := certs.WritePEM(kp, crt, key, false); err != nil {
		t.Fatal(err)
	}
	base := writeConfig(t, dir, crt, key)
	yaml, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	withSAML := func(name, rpIdentifier, sp string) string {
		y := string(yaml)
		if rpIdentifier != "" {
			y = strings.Replace(y, "identifier: http://adfs.example.test/adfs/services/trust", "identifier: "+rpIdentifier, 1)
		}
		p := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(p, []byte(y+"saml2:\n  enabled: true\n  service_providers:\n"+sp), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	byHand := withSAML("byhand", "", "    - name: adfs\n      entity_id: http://adfs.example.test/adfs/services/trust\n      acs_url: https://adfs.example.test/adfs/ls/\n")
	md, err := filepath.Abs(filepath.Join("..", "..", "sts", "saml2", "testdata", "adfs", "adfs-v4-metadata.xml"))
	if err != nil {
		t.Fatal(err)
	}
	fromMetadata := withSAML("metadata", "http://fs.msidlab11.com/adfs/services/trust",
		"    - name: farm\n      metadata:\n        file: "+md+"\n        insecure_allow_unsigned: true\n")
	other := withSAML("other", "", "    - name: shibboleth\n      entity_id: https://sp.example.test/shibboleth\n      acs_url: https://sp.example.test/Shibboleth.sso/SAML2/POST\n")
	const samlProfile = "    ProtocolProfile                   = 'SAML'\n"
	script := func(args ...string) string {
		t.Helper()
		code, out, errOut := runCmd(t, "", nil, append([]string{"adfs", "script"}, args...)...)
		if code != 0 {
			t.Fatalf("adfs script %v: exit %d %s", args, code, errOut)
		}
		return out
	}
	wsfed := script("--config", base)
	for name, c := range map[string]struct {
		args  []string
		saml  bool
		words string
	}{
		"entity_id = identifier":         {[]string{"--config", byHand}, true, "service provider 'adfs', entity ID http://adfs.example.test/adfs/services/trust."},
		"metadata entityID = identifier": {[]string{"--config", fromMetadata}, true, "service provider 'farm', entity ID http://fs.msidlab11.com/adfs/services/trust."},
		"another SP only":                {[]string{"--config", other}, false, ""},
		"another SP, --protocol saml":    {[]string{"--config", other, "--protocol", "saml"}, true, "names no service provider with this AD FS's identifier yet"},
		"--protocol wsfed":               {[]string{"--config", byHand, "--protocol", "wsfed"}, false, ""},
	} {
		out := script(c.args...)
		switch {
		case c.saml && (!strings.Contains(out, samlProfile) || !strings.Contains(out, c.words) || !strings.Contains(out, "SamlAuthenticationRequestParameters = 'None'")):
			t.Errorf("%s: not the SAML script naming %q:\n%s", name, c.words, out)
		case !c.saml && out != wsfed:
			t.Errorf("%s: not exactly the WS-Fed script:\n%s", name, out)
		}
	}
	for name, c := range map[string]struct {
		args  []string
		words string
	}{
		"saml2 off":     {[]string{"--config", base, "--protocol", "saml"}, "saml2.enabled is false"},
		"unknown value": {[]string{"--config", byHand, "--protocol", "oidc"}, "want wsfed or saml"},
	} {
		code, out, errOut := runCmd(t, "", nil, append([]string{"adfs", "script"}, c.args...)...)
		if code != 1 || out != "" || !strings.Contains(errOut, c.words) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", name, code, out, errOut)
		}
	}
}

func defaultIssued(t *testing.T, cfgPath string) []string {
	t.Helper()
	cfg, err := config.Load(cfgPath, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Claims.Issue
}

// TestExplainCommand: the real AD FS token is judged at its capture time
// (accepted in its CR-escaped form, the raw-CR form named as the CR
// fault), and the exit status says whether AD FS would accept it.
func TestExplainCommand(t *testing.T) {
	td := filepath.Join("..", "..", "sts", "explain", "testdata")
	cert := filepath.Join(td, "certs", "adfs-sts-sub2-fracas365-signing.pem")
	at := "2017-07-28T15:20:00Z"
	code, out, errOut := runCmd(t, "", nil, "explain", "--cert", cert, "--at", at, filepath.Join(td, "adfs-saml11-assertion-cr-escaped.xml"))
	if code != 0 || !strings.Contains(out, "✔") {
		t.Fatalf("cr-escaped AD FS assertion: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCmd(t, "", nil, "explain", "--cert", cert, "--at", at, filepath.Join(td, "adfs-wsignin-crlf.txt"))
	if code != 1 || !strings.Contains(out, "cr-handling") || !strings.Contains(out, "MSIS7012") {
		t.Fatalf("raw CR form body: exit %d\n%s", code, out)
	}
	// Read from standard input too, and name a wrong audience.
	raw, err := os.ReadFile(filepath.Join(td, "adfs-saml11-assertion-cr-escaped.xml"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCmd(t, string(raw), nil, "explain", "--cert", cert, "--at", at, "--audience", "http://adfs.example.test/adfs/services/trust", "-")
	if code != 1 || !strings.Contains(out, "ID1038") {
		t.Fatalf("wrong audience: exit %d\n%s", code, out)
	}
}

// TestMissingFilesNamedWithTheirPaths: files the configuration names but
// that do not exist are all reported, each with its configuration path.
func TestMissingFilesNamedWithTheirPaths(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, filepath.Join(dir, "nope.crt"), filepath.Join(dir, "nope.key"))
	os.Remove(filepath.Join(dir, "users.yaml"))
	for _, cmd := range []string{"check", "serve"} {
		code, _, errOut := runCmd(t, "", nil, cmd, "--config", cfg)
		if code == 0 {
			t.Fatalf("%s: exit 0 with missing files", cmd)
		}
		for _, want := range []string{"signing.keys[0].cert_file", "signing.keys[0].key_file", "directory.users_file.path"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("%s: %q not named:\n%s", cmd, want, errOut)
			}
		}
	}
}
