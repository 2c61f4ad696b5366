package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/claims"
)

// ldapOnly is minimal with the working AD block (LDAPS only) instead of
// the users file.
func ldapOnly(extra string) string {
	users := "directory:\n  users_file: {path: users.yaml}\n"
	block := strings.Replace(ldapBlock, "ldaps://dc1.example.com:636, ", "", 1)
	return strings.Replace(minimal, users, block+extra, 1)
}

// TestClaimValueDefaults: without claims.name and claims.logon_sids the
// mapping is AD FS's AD claims provider's (DOMAIN\user, the network
// logon SIDs); logon_sids: [] switches the SIDs off; upn is accepted.
func TestClaimValueDefaults(t *testing.T) {
	c := mustLoad(t, minimal, nil)
	if m := c.ClaimMapping(); m.Name != claims.NameWindowsAccount || !slices.Equal(m.LogonSIDs, claims.DefaultLogonSIDs()) {
		t.Errorf("defaults: %+v", m)
	}
	c = mustLoad(t, minimal+"claims:\n  name: upn\n  logon_sids: []\n", nil)
	if m := c.ClaimMapping(); m.Name != claims.NameUPN || len(m.LogonSIDs) != 0 {
		t.Errorf("upn, no SIDs: %+v", m)
	}
	c = mustLoad(t, minimal+"claims:\n  logon_sids: [S-1-1-0, S-1-5-11, S-1-5-1000]\n", nil)
	if got := c.ClaimMapping().LogonSIDs; !slices.Equal(got, []string{"S-1-1-0", "S-1-5-11", "S-1-5-1000"}) {
		t.Errorf("chosen SIDs: %v", got)
	}
}

// TestClaimValueRules: a wrong claims.name, a malformed or repeated SID
// are each reported with their path.
func TestClaimValueRules(t *testing.T) {
	_, err := Load(writeConfig(t, minimal+"claims:\n  name: email\n  logon_sids: [S-1-1-0, Everyone, S-1-01-2, s-1-1-0, S-1-5-32-544, S-1-5-21-1-2-3-512, S-1-5-11]\n"), nil)
	ps := problemsOf(t, err)
	for _, w := range [][2]string{
		{"claims.name", "windowsaccountname"},
		{"claims.logon_sids[1]", `"Everyone" is not a SID`},
		{"claims.logon_sids[2]", "is not a SID"},
		{"claims.logon_sids[3]", "repeats claims.logon_sids[0]"},
		{"claims.logon_sids[4]", "S-1-5-32-544 is not a well-known logon SID"},
		{"claims.logon_sids[5]", "S-1-5-21-1-2-3-512 is not a well-known logon SID"},
	} {
		if !hasProblem(ps, w[0], w[1]) {
			t.Errorf("no %s: %s in %v", w[0], w[1], ps)
		}
	}
	if hasProblem(ps, "claims.logon_sids[6]", "") {
		t.Errorf("Authenticated Users (S-1-5-11) refused: %v", ps)
	}
}

// TestPasswordChangeURL: an https URL is kept; anything a user should not
// be sent to with a password in mind is refused with the key's path.
func TestPasswordChangeURL(t *testing.T) {
	env := map[string]string{"LDAP_PW": "pw"}
	const good = "https://adfs.example.com/adfs/portal/updatepassword/"
	c := mustLoad(t, ldapOnly("    password_change_url: "+good+"\n"), env)
	if c.Directory.LDAP.PasswordChangeURL != good {
		t.Errorf("password_change_url %q", c.Directory.LDAP.PasswordChangeURL)
	}
	if c := mustLoad(t, ldapOnly(""), env); c.Directory.LDAP.PasswordChangeURL != "" {
		t.Errorf("default %q", c.Directory.LDAP.PasswordChangeURL)
	}
	for url, want := range map[string]string{
		"http://adfs.example.com/adfs/portal/updatepassword/": "must be https",
		"/adfs/portal/updatepassword/":                        "absolute https URL",
		"javascript:alert(1)":                                 "absolute https URL",
		"https://user:pw@sspr.example.com/":                   "user name or password",
		"'https:///path'":                                     "must name a host",
	} {
		_, err := Load(writeConfig(t, ldapOnly("    password_change_url: "+url+"\n")), envMap(env))
		if err == nil {
			t.Errorf("%s accepted", url)
			continue
		}
		if ps := problemsOf(t, err); !hasProblem(ps, "directory.ldap.password_change_url", want) {
			t.Errorf("%s: %v, want %q", url, ps, want)
		}
	}
}
