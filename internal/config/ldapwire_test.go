package config_test

import (
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/app"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/ldapsource"
)

const ldapBase = `entity_id: https://sts.example.com/claimgate
base_url: https://sts.example.com
server:
  tls: {cert_file: tls.crt, key_file: tls.key}
signing:
  keys: [{cert_file: s.crt, key_file: s.key}]
relying_parties:
  - name: adfs
    identifier: http://adfs.example.com/adfs/services/trust
    reply_url: https://adfs.example.com/adfs/ls/
mfa:
  encryption_key: 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
directory:
  ldap:
    urls: ['URL']
    ca_file: ca.pem
    bind_dn: 'BIND'
    bind_password: pw
    base_dn: 'BASE'
    user_filter: 'FILTER'
    netbios_domain: 'NETBIOS'
`

// goFieldName matches ldapsource.Config's field names as its errors print them.
var goFieldName = regexp.MustCompile(`\b(URLs|BindDN|BindPassword|BaseDN|UserFilter|NetBIOSDomain|CAFile|LoginForms|PoolSize)\b`)

// TestLDAPProblemsReportedBeforeLdapsource: whatever directory.ldap value
// ldapsource.New would refuse, loading the file (or CheckFiles, for the CA
// file's content) reports first, at its YAML path and line; and whatever
// the configuration accepts, ldapsource.New accepts through the real
// wiring (app.LDAPConfig). Before, a UPN or EXAMPLE\svc as bind_dn passed
// the configuration and stopped the start with "ldapsource: invalid
// configuration: BindDN: DN ended with incomplete type, value pair", and
// so did a bad base_dn, "(a=b)(c=d)" as user_filter, "EX.AMPLE" as
// netbios_domain, ldaps://user@host or a CA file without a certificate,
// each under a Go field name and without a line.
func TestLDAPProblemsReportedBeforeLdapsource(t *testing.T) {
	ok := map[string]string{"URL": "ldaps://dc1.example.com:636", "BIND": "CN=svc-claimgate,OU=Service Accounts,DC=example,DC=com",
		"BASE": "DC=example,DC=com", "FILTER": ldapsource.DefaultUserFilter, "NETBIOS": "EXAMPLE"}
	cases := []struct {
		key, value string
		path, want string // "" = accepted
	}{
		{"BIND", "svc-claimgate@example.com", "", ""},
		{"BIND", `EXAMPLE\svc-claimgate`, "", ""},
		{"BIND", `CN=Claimgate\, Service,OU=Service Accounts,DC=example,DC=com`, "", ""},
		{"URL", "ldaps://[::1]:636", "", ""},
		{"FILTER", "(&(objectCategory=person)(memberOf:1.2.840.113556.1.4.1941:=CN=claimgate users,OU=Groups,DC=example,DC=com))", "", ""},
		{"BIND", "CN=svc-claimgate,OU=Service Accounts,DC=example,DC", "directory.ldap.bind_dn", "not a valid DN"},
		{"BIND", "svc-claimgate", "directory.ldap.bind_dn", "neither a DN, nor a user principal name"},
		{"BIND", `EX.AMPLE\svc-claimgate`, "directory.ldap.bind_dn", "before the backslash"},
		{"BASE", "example.com", "directory.ldap.base_dn", "DC=example,DC=com"},
		{"BASE", "DC=example,DC", "directory.ldap.base_dn", "not a valid DN"},
		{"FILTER", "(objectClass=user)(cn=*)", "directory.ldap.user_filter", "not an LDAP filter"},
		{"NETBIOS", "EX.AMPLE", "directory.ldap.netbios_domain", "DNS name"},
		{"NETBIOS", "EX@MPLE", "directory.ldap.netbios_domain", "not a NetBIOS domain name"},
		{"URL", "ldaps://svc@dc1.example.com", "directory.ldap.urls[0]", "ldaps://host[:port]"},
		{"URL", "ldaps://:636", "directory.ldap.urls[0]", "ldaps://host[:port]"},
		{"URL", "ldaps://dc1.example.com/DC=example,DC=com", "directory.ldap.urls[0]", "ldaps://host[:port]"},
		{"CA", "not a certificate\n", "directory.ldap.ca_file", "holds no PEM certificate"},
	}
	kp, err := certs.Generate(certs.GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	goodCA := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: kp.Certificate.Raw}))
	for _, tc := range cases {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			text := ldapBase
			for k, v := range ok {
				if k == tc.key {
					v = tc.value
				}
				text = strings.Replace(text, k, v, 1)
			}
			dir := t.TempDir()
			caPEM := goodCA
			if tc.key == "CA" {
				caPEM = tc.value
			}
			if err := os.WriteFile(filepath.Join(dir, "ca.pem"), []byte(caPEM), 0o600); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "claimgate.yaml")
			if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := config.Load(path, func(string) string { return "" })
			var ps []config.Problem
			if err != nil {
				var ve *config.ValidationError
				if !errors.As(err, &ve) {
					t.Fatal(err)
				}
				ps = ve.Problems
			} else {
				for _, p := range c.CheckFiles() {
					if strings.HasPrefix(p.Path, "directory.") {
						ps = append(ps, p)
					}
				}
			}
			if tc.path == "" {
				if len(ps) > 0 {
					t.Fatalf("refused: %v", ps)
				}
				d, err := ldapsource.New(app.LDAPConfig(c.Directory.LDAP, nil))
				if err != nil {
					t.Fatalf("the configuration accepted what ldapsource refuses: %v", err)
				}
				d.Close()
				return
			}
			found := false
			for _, p := range ps {
				if goFieldName.MatchString(p.Message) {
					t.Errorf("a Go field name reaches the administrator: %s", p)
				}
				if p.Path == tc.path && strings.Contains(p.Message, tc.want) && (p.Line > 0 || tc.key == "CA") {
					found = true
				}
			}
			if !found {
				t.Errorf("want %s: ...%s... with its line, got %v", tc.path, tc.want, ps)
			}
		})
	}
}
