package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecretsFromValueEnvAndFile(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "mfa.key")
	os.WriteFile(keyFile, []byte(testKey+"\n"), 0o600)
	crlf := filepath.Join(dir, "ldap.pw")
	os.WriteFile(crlf, []byte("pa ss\n\r\n"), 0o600) // only the last line break goes
	text := strings.Replace(minimal, "encryption_key: "+testKey, "encryption_key: {env: ENC_KEY}", 1)
	text = strings.Replace(text, "keys: [{cert_file: s.crt, key_file: s.key}]", "keys: [{pkcs12_file: s.pfx, pkcs12_password: {file: "+keyFile+"}}]", 1)
	text = strings.Replace(text, "directory:\n  users_file: {path: users.yaml}", `directory:
  ldap:
    urls: [ldaps://dc1.example.com]
    bind_dn: CN=svc,DC=example,DC=com
    bind_password: {file: ldap.pw}
    base_dn: DC=example,DC=com
    netbios_domain: EXAMPLE`, 1)
	os.WriteFile(filepath.Join(dir, "claimgate.yaml"), []byte(text), 0o644)
	c, err := Load(filepath.Join(dir, "claimgate.yaml"), envMap(map[string]string{"ENC_KEY": testKey}))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Signing.Keys[0].PKCS12Password; got.Value() != testKey || got.Source() != "file "+keyFile {
		t.Errorf("file secret: %q from %s", got.Value(), got.Source())
	}
	if got := c.Directory.LDAP.BindPassword; got.Value() != "pa ss\n" || got.Source() != "file "+crlf {
		t.Errorf("relative file secret with CRLF: %q from %s", got.Value(), got.Source())
	}
	if got := c.MFA.EncryptionKey; got.Value() != testKey || got.Source() != "env ENC_KEY" {
		t.Errorf("env secret: %q from %s", got.Value(), got.Source())
	}
}

func TestSecretProblems(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	cases := []struct {
		spec, path, want string
	}{
		{"{env: CG_NOT_SET}", "mfa.encryption_key", "environment variable CG_NOT_SET is not set or is empty"},
		{"{file: /nonexistent/mfa.key}", "mfa.encryption_key", "cannot read secret file: open /nonexistent/mfa.key: no such file or directory"},
		{"{file: " + empty + "}", "mfa.encryption_key", "secret file " + empty + " is empty"},
		{"{env: A, file: B}", "mfa.encryption_key", "exactly one of env: NAME or file: PATH"},
		{"{vault: x}", "mfa.encryption_key", `unknown key "vault"`},
		{"[a, b]", "mfa.encryption_key", "must be a value, {env: NAME} or {file: PATH}"},
	}
	for _, tc := range cases {
		text := strings.Replace(minimal, "encryption_key: "+testKey, "encryption_key: "+tc.spec, 1)
		_, err := Load(writeConfig(t, text), envMap(nil))
		ps := problemsOf(t, err)
		if len(ps) != 1 || ps[0].Path != tc.path || !strings.Contains(ps[0].Message, tc.want) {
			t.Errorf("%s: got %v, want %s: %s", tc.spec, ps, tc.path, tc.want)
		}
	}
}

func TestSecretFileTooLarge(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big")
	os.WriteFile(big, make([]byte, maxSecretFile+1), 0o600)
	text := strings.Replace(minimal, "encryption_key: "+testKey, "encryption_key: {file: "+big+"}", 1)
	_, err := Load(writeConfig(t, text), nil)
	if ps := problemsOf(t, err); !hasProblem(ps, "mfa.encryption_key", "larger than") {
		t.Errorf("got %v", ps)
	}
}

func TestEncryptionKeyEncodings(t *testing.T) {
	for _, k := range []string{testKey, strings.ToUpper(testKey), "ABEiM0RVZneImaq7zN3u/wARIjNEVWZ3iJmqu8zd7v8=", "ABEiM0RVZneImaq7zN3u_wARIjNEVWZ3iJmqu8zd7v8"} {
		m := MFA{EncryptionKey: NewSecret(k)}
		got, err := m.Key()
		if err != nil || got[0] != 0x00 || got[1] != 0x11 || got[31] != 0xff {
			t.Errorf("%s: %x %v", k, got, err)
		}
	}
	for _, k := range []string{testKey[:62], "c2hvcnQ=", "not a key at all"} {
		if _, err := (MFA{EncryptionKey: NewSecret(k)}).Key(); err == nil || strings.Contains(err.Error(), k) {
			t.Errorf("%s: %v", k, err)
		}
	}
}
