package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/userfile"
)

// TestLDAPLoginHint: the hint follows login_forms; the UPN example's
// suffix is the first of upn_suffixes, else of AD FS's
// organizational_account_suffixes, else base_dn's DNS name.
func TestLDAPLoginHint(t *testing.T) {
	all := []string{config.LoginSAMAccountName, config.LoginDomainSAMAccountName, config.LoginUPN}
	for _, c := range []struct {
		name string
		l    config.LDAP
		org  []string
		want login.Hint
	}{
		{"all forms, from base_dn", config.LDAP{LoginForms: all, NetBIOSDomain: "EXAMPLE", BaseDN: "OU=Staff,DC=Example,DC=com"}, nil,
			login.Hint{UPNSuffix: "example.com", Domain: "EXAMPLE", Plain: true}},
		{"upn_suffixes first", config.LDAP{LoginForms: all, NetBIOSDomain: "EXAMPLE", BaseDN: "DC=example,DC=com", UPNSuffixes: []string{"@corp.example", "b.example"}},
			[]string{"org.example"}, login.Hint{UPNSuffix: "corp.example", Domain: "EXAMPLE", Plain: true}},
		{"AD FS suffixes next", config.LDAP{LoginForms: []string{config.LoginUPN}, BaseDN: "DC=example,DC=com"},
			[]string{"org.example"}, login.Hint{UPNSuffix: "org.example"}},
		{"down-level only", config.LDAP{LoginForms: []string{config.LoginDomainSAMAccountName}, NetBIOSDomain: "CORP", UPNSuffixes: []string{"x.example"}}, nil,
			login.Hint{Domain: "CORP"}},
		{"UPN without any suffix known", config.LDAP{LoginForms: []string{config.LoginUPN, config.LoginSAMAccountName}, BaseDN: "O=Example"}, nil,
			login.Hint{Plain: true}},
	} {
		if got := ldapHint(&c.l, c.org); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

// TestUsersFileLoginHint: a users file accepts the bare name, DOMAIN\name
// when it names a domain, and UPNs with the suffix most of its users have.
func TestUsersFileLoginHint(t *testing.T) {
	f := &userfile.File{Domain: "DEMO", Users: []userfile.User{
		{Username: "a", UPN: "a@one.example"}, {Username: "b", UPN: "b@Two.example"}, {Username: "c", UPN: "c@two.example"}, {Username: "d"}}}
	if got, want := usersFileHint(f), (login.Hint{UPNSuffix: "two.example", Domain: "DEMO", Plain: true}); got != want {
		t.Errorf("%+v, want %+v", got, want)
	}
	if got, want := usersFileHint(&userfile.File{Users: []userfile.User{{Username: "a"}}}), (login.Hint{Plain: true}); got != want {
		t.Errorf("plain file: %+v, want %+v", got, want)
	}
}

// TestUsersFileClaimMapping: the users file gets the claims section's
// value choices too (name DOMAIN\user, the logon SIDs by default), through
// the wrapper, which keeps its decoy.
func TestUsersFileClaimMapping(t *testing.T) {
	dir := t.TempDir()
	h, err := mfa.HashPassword("pw", nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "users.yaml")
	if err := userfile.Write(path, &userfile.File{Domain: "DEMO", Users: []userfile.User{{Username: "alice", UPN: "alice@demo.example",
		SID: "S-1-5-21-1-2-3-1105", GroupSIDs: []string{"S-1-5-21-1-2-3-513"}, PasswordHash: h}}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		claims config.Claims
		name   string
		groups []string
	}{
		{config.Claims{Name: config.ClaimNameWindowsAccount, LogonSIDs: claims.DefaultLogonSIDs()}, `DEMO\alice`,
			append([]string{"S-1-5-21-1-2-3-513"}, claims.DefaultLogonSIDs()...)},
		{config.Claims{Name: config.ClaimNameUPN, LogonSIDs: []string{}}, "alice@demo.example", []string{"S-1-5-21-1-2-3-513"}},
	} {
		cfg := &config.Config{Claims: c.claims, Directory: config.Directory{UsersFile: &config.UsersFile{Path: path}}}
		d, _, closeFn, err := directory(cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer closeFn()
		if _, ok := d.(login.Decoy); !ok {
			t.Error("the wrapped users file lost its decoy")
		}
		for _, get := range []func() (claims.Identity, error){
			func() (claims.Identity, error) { return d.Authenticate(context.Background(), "alice", "pw") },
			func() (claims.Identity, error) { return d.Lookup(context.Background(), `DEMO\alice`) },
		} {
			id, err := get()
			if err != nil {
				t.Fatal(err)
			}
			if id.NameValue() != c.name || !slices.Equal(id.GroupSIDs, c.groups) {
				t.Errorf("%s: name %q groups %v, want %q %v", c.claims.Name, id.NameValue(), id.GroupSIDs, c.name, c.groups)
			}
		}
		if _, err := d.Authenticate(context.Background(), "alice", "wrong"); err == nil {
			t.Error("a wrong password passed the wrapper")
		}
	}
}

// TestLoginPageHintWired: claimgate built from a configuration shows the
// hint derived from its users file (one user, no domain, no UPN: the bare
// name only) and offers app passwords, as the policy allows them.
func TestLoginPageHintWired(t *testing.T) {
	a, _ := buildFromYAML(t, `relying_parties:
  - name: adfs
    identifier: http://adfs.example.test/adfs/services/trust
    reply_url: https://adfs.example.test/adfs/ls/
`)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.Get(srv.URL + "/wsfed?wa=wsignin1.0&wtrealm=" + url.QueryEscape("http://adfs.example.test/adfs/services/trust"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := `<p class="hint">Use your organisation account. For example: alice. On a phone or tablet app you can use an app password instead of your domain password.</p>`
	if !strings.Contains(string(body), want) {
		t.Errorf("login page lacks %s:\n%s", want, body)
	}
}
