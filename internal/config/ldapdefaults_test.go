package config

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/ldapsource"
)

// TestLDAPDefaultsAreLdapsources: a directory.ldap section that sets only
// the required keys resolves to exactly the defaults ldapsource applies
// to a zero Config. Before, the file gave pool.size 4 while the library
// said 8, and nothing noticed.
func TestLDAPDefaultsAreLdapsources(t *testing.T) {
	block := `directory:
  ldap:
    urls: [ldaps://dc1.example.com]
    bind_dn: CN=svc,DC=example,DC=com
    bind_password: pw
    base_dn: DC=example,DC=com
    netbios_domain: EXAMPLE
`
	text := strings.Replace(minimal, "directory:\n  users_file: {path: users.yaml}\n", block, 1)
	if text == minimal {
		t.Fatal("minimal has no users_file block to replace")
	}
	l := mustLoad(t, text, nil).Directory.LDAP
	durations := []struct {
		key       string
		got, want time.Duration
	}{
		{"timeouts.connect", l.Timeouts.Connect, ldapsource.DefaultConnectTimeout},
		{"timeouts.bind", l.Timeouts.Bind, ldapsource.DefaultBindTimeout},
		{"timeouts.search", l.Timeouts.Search, ldapsource.DefaultSearchTimeout},
		{"pool.idle_timeout", l.Pool.IdleTimeout, ldapsource.DefaultIdleTimeout},
		{"retry_after", l.RetryAfter, ldapsource.DefaultRetryAfter},
	}
	for _, d := range durations {
		if d.got != d.want {
			t.Errorf("%s: config resolves %s, ldapsource's default is %s", d.key, d.got, d.want)
		}
	}
	if l.Pool.Size != ldapsource.DefaultPoolSize {
		t.Errorf("pool.size: config resolves %d, ldapsource's default is %d", l.Pool.Size, ldapsource.DefaultPoolSize)
	}
	if l.UserFilter != ldapsource.DefaultUserFilter || l.PhoneAttribute != ldapsource.DefaultPhoneAttribute {
		t.Errorf("user_filter %q, phone_attribute %q: not ldapsource's defaults", l.UserFilter, l.PhoneAttribute)
	}
	if l.Mode != LDAPInOrder || l.StartTLS || l.InsecurePlain {
		t.Errorf("mode %q, start_tls %v, insecure_plain %v: ldapsource's zero value is in order over TLS", l.Mode, l.StartTLS, l.InsecurePlain)
	}
	// The file spells the forms differently (internal/app maps them).
	spelled := map[string]ldapsource.LoginForm{
		LoginSAMAccountName: ldapsource.FormSAM, LoginDomainSAMAccountName: ldapsource.FormDomainSAM, LoginUPN: ldapsource.FormUPN,
	}
	var forms []ldapsource.LoginForm
	for _, f := range l.LoginForms {
		forms = append(forms, spelled[f])
	}
	if !slices.Equal(forms, ldapsource.DefaultLoginForms()) {
		t.Errorf("login_forms %v, ldapsource's default is %v", l.LoginForms, ldapsource.DefaultLoginForms())
	}
}
