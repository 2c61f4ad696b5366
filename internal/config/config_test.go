package config

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
)

var update = flag.Bool("update", false, "rewrite golden files")

// testKey is a well-formed encryption key used by the minimal configs.
const testKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// writeConfig writes text as claimgate.yaml in a fresh directory.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "claimgate.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const minimal = `
entity_id: https://sts.example.com/claimgate
base_url: https://sts.example.com/
server:
  tls: {cert_file: tls.crt, key_file: tls.key}
signing:
  keys: [{cert_file: s.crt, key_file: s.key}]
relying_parties:
  - name: adfs
    identifier: http://adfs.example.com/adfs/services/trust
    reply_url: https://adfs.example.com/adfs/ls/
directory:
  users_file: {path: users.yaml}
mfa:
  encryption_key: ` + testKey + "\n"

func mustLoad(t *testing.T, text string, env map[string]string) *Config {
	t.Helper()
	c, err := Load(writeConfig(t, text), envMap(env))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func problemsOf(t *testing.T, err error) []Problem {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a *ValidationError, got %v", err)
	}
	return ve.Problems
}

func hasProblem(ps []Problem, path, fragment string) bool {
	for _, p := range ps {
		if p.Path == path && strings.Contains(p.Message, fragment) {
			return true
		}
	}
	return false
}

func TestMinimalConfigDefaults(t *testing.T) {
	c := mustLoad(t, minimal, nil)
	dir := filepath.Dir(c.Server.TLS.CertFile)
	if c.BaseURL.String() != "https://sts.example.com" || c.WSFedURL() != "https://sts.example.com/wsfed" ||
		c.MetadataURL() != "https://sts.example.com/FederationMetadata/2007-06/FederationMetadata.xml" {
		t.Errorf("urls: %s %s %s", c.BaseURL, c.WSFedURL(), c.MetadataURL())
	}
	if c.Signing.Keys[0].KeyFile != filepath.Join(dir, "s.key") || c.Directory.UsersFile.Path != filepath.Join(dir, "users.yaml") {
		t.Errorf("relative paths not resolved against the config directory: %+v", c.Signing.Keys[0])
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"data_dir", c.DataDir, DefaultDataDir},
		{"listen", c.Server.Listen, DefaultListen},
		{"token.lifetime", c.Token.Lifetime, 60 * time.Minute},
		{"token.clock_skew", c.Token.ClockSkew, 5 * time.Minute},
		{"rp lifetime", c.RelyingParties[0].TokenLifetime, 60 * time.Minute},
		{"rp alg", c.RelyingParties[0].SignatureAlgorithm, AlgRSASHA256},
		{"claims", fmt.Sprint(c.Claims.Issue), fmt.Sprint(claims.DefaultTypes())},
		{"mfa.required", c.MFA.Required, true},
		{"totp.skew", c.MFA.TOTP.SkewSteps, 1},
		{"totp.issuer", c.MFA.TOTP.IssuerName, DefaultProductName},
		{"store.path", c.Store.Path, filepath.Join(DefaultDataDir, DefaultStoreFile)},
		{"audit.store", c.Audit.Store, true},
		{"lockout", c.Lockout.PerAddressMaxFailures, DefaultPerAddressFailures},
		{"sms.max_resends", c.SMS.MaxResends, DefaultSMSMaxResends},
		{"adfs name", c.ADFS.ClaimsProviderName, DefaultProductName},
		{"session cookie", c.Server.Session.CookieName, DefaultCookieName},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
	if k, err := c.MFA.Key(); err != nil || len(k) != 32 {
		t.Errorf("key: %v", err)
	}
}

func TestExplicitZeroesAreKept(t *testing.T) {
	c := mustLoad(t, minimal+"  totp: {skew_steps: 0}\n  hotp: {look_ahead: 0}\n  required: false\nsms: {max_resends: 0}\nlockout: {per_address_max_failures: 0}\naudit: {store: false}\n", nil)
	if c.MFA.TOTP.SkewSteps != 0 || c.MFA.HOTP.LookAhead != 0 || c.MFA.Required || c.SMS.MaxResends != 0 ||
		c.Lockout.PerAddressMaxFailures != 0 || c.Audit.Store {
		t.Errorf("explicit zero replaced by a default: %+v %+v %+v", c.MFA, c.SMS, c.Audit)
	}
}

func TestUnknownKeysReportedWithPathAndLine(t *testing.T) {
	text := minimal + "lockout:\n  max_failure: 5\nbrandng: {}\n"
	_, err := Load(writeConfig(t, text), nil)
	ps := problemsOf(t, err)
	lines := strings.Count(minimal, "\n")
	want := []Problem{
		{Path: "lockout.max_failure", Message: `unknown key "max_failure"`, Line: lines + 2},
		{Path: "brandng", Message: `unknown key "brandng"`, Line: lines + 3},
	}
	if fmt.Sprint(ps) != fmt.Sprint(want) {
		t.Errorf("got  %v\nwant %v", ps, want)
	}
	if strings.Contains(err.Error(), "config.file") {
		t.Errorf("Go type names leak into %q", err)
	}
}

func TestWrongTypes(t *testing.T) {
	_, err := Load(writeConfig(t, minimal+"server2: 1\nlockout:\n  max_failures: five\n  window: [1]\n"), nil)
	ps := problemsOf(t, err)
	if !hasProblem(ps, "lockout.max_failures", "must be a whole number, not text") ||
		!hasProblem(ps, "lockout.window", "must be a single value, not a list") || !hasProblem(ps, "server2", "unknown key") || len(ps) != 3 {
		t.Errorf("got %v", ps)
	}
}

func TestSyntaxErrorAndEmpty(t *testing.T) {
	_, err := Load(writeConfig(t, "entity_id: [unclosed\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "line") {
		t.Errorf("syntax error: %v", err)
	}
	if _, err := Load(writeConfig(t, "# nothing\n"), nil); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty: %v", err)
	}
	if _, err := Load(writeConfig(t, minimal+"---\nentity_id: x\n"), nil); err == nil || !strings.Contains(err.Error(), "more than one YAML document") {
		t.Errorf("two documents: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml"), nil); err == nil {
		t.Error("missing file accepted")
	}
}

// TestBrokenConfigListsEveryProblem is the golden list of everything wrong
// in testdata/broken.yaml, reported in one error; broken-ldap.yaml does the
// same for a directory.ldap section, which broken.yaml's directory (both
// users_file and ldap) leaves unvalidated.
func TestBrokenConfigListsEveryProblem(t *testing.T) {
	for _, name := range []string{"broken", "broken-ldap"} {
		t.Run(name, func(t *testing.T) { goldenProblems(t, "testdata/"+name+".yaml", "testdata/"+name+".golden") })
	}
}

func goldenProblems(t *testing.T, file, golden string) {
	_, err := Load(file, envMap(nil))
	ps := problemsOf(t, err)
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String() + "\n")
	}
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err2 := os.ReadFile(golden)
	if err2 != nil {
		t.Fatal(err2)
	}
	if b.String() != string(want) {
		t.Errorf("problems differ from %s (run go test ./internal/config -update and review):\n%s", golden, b.String())
	}
	if !strings.HasPrefix(err.Error(), file+": ") || strings.Count(err.Error(), "\n") != len(ps) {
		t.Errorf("Error() must name the file and list every problem on its own line:\n%s", err)
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	const s1, s2, s3 = "Sup3rSecretPfxPassword", "ldap-Secret-Value-1", "tooshort-butsecret"
	text := strings.Replace(minimal, testKey, s3, 1)
	text = strings.Replace(text, "keys: [{cert_file: s.crt, key_file: s.key}]", "keys: [{cert_file: s.crt, key_file: s.key, pkcs12_password: {env: PFX}}]", 1)
	_, err := Load(writeConfig(t, text), envMap(map[string]string{"PFX": s1}))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, s := range []string{s1, s3} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("secret %q in error: %v", s, err)
		}
	}
	c := mustLoad(t, minimal, nil)
	c.Directory.LDAP = &LDAP{BindPassword: NewSecret(s2 + s2)}
	js, _ := json.Marshal(c)
	for _, out := range []string{fmt.Sprintf("%v %+v %#v %s", c, *c, c.Directory.LDAP, c.Directory.LDAP.BindPassword), string(js), fmt.Sprint(c.Directory.LDAP)} {
		if strings.Contains(out, s2) || strings.Contains(out, "00112233445566778899") {
			t.Errorf("secret printed: %s", out)
		}
	}
	if c.Directory.LDAP.BindPassword.Value() != s2+s2 || c.Directory.LDAP.BindPassword.Source() != "value" {
		t.Error("Value/Source")
	}
}

func TestCommonYAMLMistakes(t *testing.T) {
	_, err := Load(writeConfig(t, minimal+"branding:\n  primary_color: #ff0000\ntoken:\n  lifetime: 60\n"), nil)
	ps := problemsOf(t, err)
	if !hasProblem(ps, "branding.primary_color", `put the colour in quotes, e.g. "#ff0000"`) ||
		!hasProblem(ps, "token.lifetime", `"60" is not a duration`) || len(ps) != 2 {
		t.Errorf("got %v", ps)
	}
}
