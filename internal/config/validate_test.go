package config

import (
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/ldapsource"
)

// loadWith loads minimal with one text replacement and returns the problems.
func loadWith(t *testing.T, old, new string, env map[string]string) []Problem {
	t.Helper()
	if !strings.Contains(minimal, old) {
		t.Fatalf("minimal lacks %q", old)
	}
	_, err := Load(writeConfig(t, strings.Replace(minimal, old, new, 1)), envMap(env))
	if err == nil {
		return nil
	}
	return problemsOf(t, err)
}

func TestTransportSecurityRules(t *testing.T) {
	const tls = "  tls: {cert_file: tls.crt, key_file: tls.key}\n"
	cases := []struct {
		name, server, baseURL string
		path, want            string // "" = valid
	}{
		{"tls", tls, "https://sts.example.com", "", ""},
		{"nothing", "  listen: ':8443'\n", "https://sts.example.com", "server.tls", "claimgate serves HTTPS itself"},
		{"insecure switch", "  insecure_http: true\n", "http://127.0.0.1:8080", "", ""},
		{"http without switch", tls, "http://sts.example.com", "base_url", "must be https"},
		{"proxy with https base", "  trusted_proxies: [10.1.2.10, 'fd00::/8']\n", "https://sts.example.com", "", ""},
		{"proxy with http base", "  trusted_proxies: [10.1.2.10]\n", "http://sts.example.com", "server.tls", "behind a trusted proxy"},
		{"tls and insecure", tls + "  insecure_http: true\n", "https://sts.example.com", "server.insecure_http", "choose one"},
		{"half tls", "  tls: {cert_file: tls.crt}\n", "https://sts.example.com", "server.tls.key_file", "required"},
		{"proxy everyone", "  trusted_proxies: ['::/0']\n", "https://sts.example.com", "server.trusted_proxies", "trusts every address"},
	}
	for _, tc := range cases {
		text := strings.Replace(minimal, "server:\n"+tls, "server:\n"+tc.server, 1)
		text = strings.Replace(text, "base_url: https://sts.example.com/", "base_url: "+tc.baseURL, 1)
		c, err := Load(writeConfig(t, text), nil)
		if tc.path == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			} else if tc.name == "proxy with https base" && (c.Server.TLS != nil || c.Server.TrustedProxies[0] != netip.MustParsePrefix("10.1.2.10/32")) {
				t.Errorf("%s: %+v", tc.name, c.Server)
			}
			continue
		}
		if ps := problemsOf(t, err); !hasProblem(ps, tc.path, tc.want) {
			t.Errorf("%s: got %v, want %s: %s", tc.name, ps, tc.path, tc.want)
		}
	}
}

func TestRelyingPartyFromMetadata(t *testing.T) {
	rp := `  - name: adfs
    identifier: http://adfs.example.com/adfs/services/trust
    reply_url: https://adfs.example.com/adfs/ls/
`
	meta := `  - name: adfs
    metadata:
      url: https://adfs.example.com/FederationMetadata/2007-06/FederationMetadata.xml
      signing_thumbprints: ["‎5a:1f:0b:6c:3e:7d:9a:2b:4c:6e:8f:0a:1b:3c:5d:7e:9f:1a:2b:3c"]
  - name: legacy
    identifier: urn:legacy
    reply_url: https://legacy.example.com/adfs/ls/
    signature_algorithm: rsa-sha1
    token_lifetime: 10m
`
	c := mustLoad(t, strings.Replace(minimal, rp, meta, 1), nil)
	m := c.RelyingParties[0].Metadata
	if m == nil || m.RefreshInterval != DefaultMetadataRefresh || m.SigningThumbprints[0] != "5A1F0B6C3E7D9A2B4C6E8F0A1B3C5D7E9F1A2B3C" {
		t.Errorf("metadata party: %+v", m)
	}
	if l := c.RelyingParties[1]; l.SignatureAlgorithm != AlgRSASHA1 || l.TokenLifetime.Minutes() != 10 {
		t.Errorf("legacy party: %+v", l)
	}
	for _, tc := range []struct{ meta, path, want string }{
		{"{}", "relying_parties[0].metadata", "exactly one of url and file"},
		{"{url: https://a.example/x, file: b.xml}", "relying_parties[0].metadata", "exactly one of url and file"},
		{"{url: 'http://adfs.example.com/x'}", "relying_parties[0].metadata.url", "https"},
		{"{url: 'https://adfs.example.com/x', refresh_interval: 10s}", "relying_parties[0].metadata.refresh_interval", "at least 1m"},
	} {
		ps := loadWith(t, rp, "  - name: adfs\n    metadata: "+tc.meta+"\n", nil)
		if !hasProblem(ps, tc.path, tc.want) {
			t.Errorf("%s: got %v", tc.meta, ps)
		}
	}
	if ps := loadWith(t, rp, "  - name: adfs\n    reply_url: http://127.0.0.1:8080/demo/\n    identifier: urn:demo\n", nil); ps != nil {
		t.Errorf("loopback http reply URL refused: %v", ps)
	}
	if ps := loadWith(t, rp, "", nil); !hasProblem(ps, "relying_parties", "at least one") {
		t.Errorf("no party: %v", ps)
	}
}

func TestClaimNames(t *testing.T) {
	c := mustLoad(t, minimal+"claims:\n  issue: [UPN, primarysid, groupsid, amr, email, 'http://schemas.example.com/claims/x']\n", nil)
	want := []string{claims.UPN, claims.PrimarySID, claims.GroupSID, claims.AuthnMethodsReferences, claims.EmailAddress, "http://schemas.example.com/claims/x"}
	if strings.Join(c.Claims.Issue, " ") != strings.Join(want, " ") {
		t.Errorf("got %v", c.Claims.Issue)
	}
	_, err := Load(writeConfig(t, minimal+"claims:\n  issue: []\n"), nil)
	if ps := problemsOf(t, err); !hasProblem(ps, "claims.issue", "at least one") {
		t.Errorf("empty list: %v", ps)
	}
}

const ldapBlock = `directory:
  ldap:
    urls: [ldaps://dc1.example.com:636, ldap://dc2.example.com]
    start_tls: true
    bind_dn: CN=svc,DC=example,DC=com
    bind_password: {env: LDAP_PW}
    base_dn: DC=example,DC=com
    netbios_domain: EXAMPLE
    attributes: {department: 'http://schemas.example.com/claims/department', employeeID: upn}
`

func TestLDAPRules(t *testing.T) {
	users := "directory:\n  users_file: {path: users.yaml}\n"
	c := mustLoad(t, strings.Replace(minimal, users, strings.Replace(ldapBlock, "ldaps://dc1.example.com:636, ", "", 1), 1), map[string]string{"LDAP_PW": "pw"})
	l := c.Directory.LDAP
	if l.Mode != LDAPInOrder || l.UserFilter != ldapsource.DefaultUserFilter || len(l.LoginForms) != 3 || l.PhoneAttribute != "mobile" ||
		l.Pool.Size != ldapsource.DefaultPoolSize || l.Attributes["employeeID"] != claims.UPN || l.BindPassword.Value() != "pw" {
		t.Errorf("defaults: %+v", l)
	}
	bad := strings.NewReplacer("    netbios_domain: EXAMPLE\n", `    mode: random
    login_forms: [upn, email]
    netbios_domain: EXAMPLE\CORP
    user_filter: objectClass=user
    upn_suffixes: [example.com, 'bad suffix']
    pool: {size: -1}
`, "employeeID: upn", "'bad attr': upn").Replace(ldapBlock)
	ps := loadWith(t, users, bad, nil)
	for _, w := range [][2]string{
		{"directory.ldap.urls[0]", "already TLS"},
		{"directory.ldap.bind_password", "LDAP_PW is not set"},
		{"directory.ldap.mode", "in_order or round_robin"},
		{"directory.ldap.login_forms[1]", `"email"`},
		{"directory.ldap.netbios_domain", "NetBIOS"},
		{"directory.ldap.user_filter", "parentheses"},
		{"directory.ldap.upn_suffixes[1]", "bad suffix"},
		{"directory.ldap.pool.size", "between 1 and 100"},
		{"directory.ldap.attributes.bad attr", "not an LDAP attribute name"},
	} {
		if !hasProblem(ps, w[0], w[1]) {
			t.Errorf("missing %s: %s in\n%v", w[0], w[1], ps)
		}
	}
	// A key written twice makes the decoder drop the whole mapping, so
	// only that is reported: the rest would be noise.
	dup := loadWith(t, users, ldapBlock+"    netbios_domain: OTHER\n", map[string]string{"LDAP_PW": "x"})
	if len(dup) != 1 || !hasProblem(dup, "directory.ldap.netbios_domain", "written twice (first at line") {
		t.Errorf("duplicate key: %v", dup)
	}
	plain := loadWith(t, users, strings.Replace(ldapBlock, "    start_tls: true\n", "", 1), map[string]string{"LDAP_PW": "x"})
	if !hasProblem(plain, "directory.ldap.urls[1]", "in the clear") {
		t.Errorf("plain ldap: %v", plain)
	}
	insecure := loadWith(t, users, strings.Replace(ldapBlock, "    start_tls: true\n", "    insecure_plain: true\n", 1), map[string]string{"LDAP_PW": "x"})
	if insecure != nil {
		t.Errorf("insecure_plain refused: %v", insecure)
	}
	if ps := loadWith(t, users, "directory: {}\n", nil); !hasProblem(ps, "directory", "exactly one") {
		t.Errorf("no directory: %v", ps)
	}
}

func TestSMSRules(t *testing.T) {
	ok := `sms:
  enabled: true
  gateway:
    url: "http://127.0.0.1:9999/send?to={{.Phone}}&text={{.Code}}"
    method: get
`
	c := mustLoad(t, minimal+ok, nil)
	if c.SMS.Gateway.Method != "GET" || c.SMS.CodeLength != 6 || c.SMS.RateLimit.Max != DefaultSMSRateMax {
		t.Errorf("%+v", c.SMS)
	}
	_, err := Load(writeConfig(t, minimal+`sms:
  enabled: true
  gateway:
    url: https://sms.example.net/send
    headers: {X-Key: "{{.Secret}}"}
    body_template: "to={{.Phone}}"
  code_length: 3
  rate_limit: {window: 0s}
`), nil)
	ps := problemsOf(t, err)
	for _, w := range [][2]string{
		{"sms.gateway.headers.X-Key", "use only {{.Phone}}, {{.Code}}, {{.Message}} and {{.Token}}"},
		{"sms.gateway", "the code is sent nowhere"},
		{"sms.code_length", "between 4 and 10"},
		{"sms.rate_limit.window", "positive"},
	} {
		if !hasProblem(ps, w[0], w[1]) {
			t.Errorf("missing %s: %s in %v", w[0], w[1], ps)
		}
	}
	if _, err := Load(writeConfig(t, minimal+"sms:\n  gateway: {method: nonsense}\n"), nil); err != nil {
		t.Errorf("a disabled sms section is not validated: %v", err)
	}
}

func TestSelfEnrolmentNeedsAGuard(t *testing.T) {
	for text, wantOK := range map[string]bool{
		"  enrolment: {self_enrolment: true}\n":                                 false,
		"  enrolment: {self_enrolment: true, require_code: true}\n":             true,
		"  enrolment: {self_enrolment: true, allowed_networks: [10.0.0.0/8]}\n": true,
	} {
		_, err := Load(writeConfig(t, minimal+text), nil)
		if (err == nil) != wantOK {
			t.Errorf("%s: %v", text, err)
		}
	}
}

// TestValidateCodeBuiltConfig shows Validate works without a file, as the
// demo builds its Config in code.
func TestValidateCodeBuiltConfig(t *testing.T) {
	c := mustLoad(t, minimal, nil)
	if ps := c.Validate(); len(ps) != 0 {
		t.Fatalf("loaded config does not validate: %v", ps)
	}
	c.Server.TLS, c.Server.InsecureHTTP = nil, true
	c.BaseURL, _ = url.Parse("http://127.0.0.1:8080")
	c.RelyingParties = append(c.RelyingParties, RelyingParty{Name: "demo", Identifier: "urn:claimgate:demo",
		ReplyURL: "http://127.0.0.1:8080/demo/", SignatureAlgorithm: AlgRSASHA256, TokenLifetime: c.Token.Lifetime})
	if ps := c.Validate(); len(ps) != 0 {
		t.Errorf("demo-shaped config: %v", ps)
	}
	c.RelyingParties[1].Identifier = c.RelyingParties[0].Identifier
	if ps := c.Validate(); !hasProblem(ps, "relying_parties[1].identifier", "also the identifier") {
		t.Errorf("got %v", ps)
	}
}

// TestDocsExamplesLoad keeps docs/examples honest without a directory
// (cmd/claimgate's TestDocsExamplesPassCheck runs `claimgate check` on
// them against the test DC): a copy of each loads and validates with no
// environment, once the secret files it names exist.
func TestDocsExamplesLoad(t *testing.T) {
	files, err := filepath.Glob("../../docs/examples/*.yaml")
	if err != nil || len(files) < 2 {
		t.Fatalf("examples: %v %v", files, err)
	}
	secretFile := regexp.MustCompile(`(?m)^[^#\n]*\{file: ([^}]+)\}`)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			text, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			cfg := writeConfig(t, string(text))
			for _, m := range secretFile.FindAllStringSubmatch(string(text), -1) {
				value := "secret"
				if strings.HasSuffix(m[1], "mfa.key") {
					value = testKey
				}
				p := filepath.Join(filepath.Dir(cfg), m[1])
				if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(value+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			c, err := Load(cfg, envMap(nil))
			if err != nil {
				t.Fatal(err)
			}
			if len(c.RelyingParties) == 0 || len(c.Signing.Keys) == 0 {
				t.Errorf("thin example: %+v", c)
			}
		})
	}
}
