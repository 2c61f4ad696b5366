package ldapsource

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/claimgate/claimgate/claims"
)

// sambaObservationWindow is the test domain's "reset account lockout
// after" (scripts/samba/setup.sh: --reset-account-lockout-after=1 minute).
const sambaObservationWindow = time.Minute

// waitForFewBadPasswords makes sure one more wrong password cannot lock
// user out (the test domain locks after 5 within the observation window,
// for a very long time): while the recent bad-password count is 3 or more,
// it waits for the window to pass.
func waitForFewBadPasswords(t *testing.T, d *Directory, user string) {
	t.Helper()
	for {
		res, err := d.search(ctxT(t), ldap.NewSearchRequest("CN="+user+",CN=Users,"+d.cfg.BaseDN, ldap.ScopeBaseObject,
			ldap.NeverDerefAliases, 1, 10, false, "(objectClass=*)", []string{"badPwdCount", "badPasswordTime"}, nil))
		if err != nil || len(res.Entries) != 1 {
			t.Fatalf("read %s's bad-password count: %v", user, err)
		}
		count, _ := strconv.Atoi(res.Entries[0].GetAttributeValue("badPwdCount"))
		last, _ := strconv.ParseInt(res.Entries[0].GetAttributeValue("badPasswordTime"), 10, 64)
		age := time.Since(filetime(last))
		if count < 3 || last == 0 || age > sambaObservationWindow+5*time.Second {
			return
		}
		wait := sambaObservationWindow + 5*time.Second - age
		t.Logf("%s has %d recent bad passwords; waiting %v so this test cannot lock the account", user, count, wait.Round(time.Second))
		time.Sleep(wait)
	}
}

// TestSambaMustChangeOnlyWithCorrectPassword: the real DC answers dave
// (pwdLastSet = 0) with 773 only to his correct password; a wrong one is
// a plain 52e. This is what lets the sign-in page name must-change
// without telling a guesser anything: the reason claimgate shows is
// reached only with the password.
func TestSambaMustChangeOnlyWithCorrectPassword(t *testing.T) {
	env := samba(t)
	d := env.directory(t, nil)
	waitForFewBadPasswords(t, d, "dave")
	_, err := d.Authenticate(ctxT(t), "dave", "not-daves-password")
	if r, _ := claims.IsRejected(err); r != claims.ReasonBadPassword || r.NeedsPasswordChange() {
		t.Errorf("dave with a wrong password: %v, want bad_password (52e)", err)
	}
	_, err = d.Authenticate(ctxT(t), "dave", env.password())
	if r, _ := claims.IsRejected(err); r != claims.ReasonMustChange || !r.NeedsPasswordChange() {
		t.Errorf("dave with his password: %v, want password_must_change (773)", err)
	}
	// The accounts refused before the bind never get a reason the page
	// would name, whatever the password.
	for _, user := range []string{"carol", "erin", "frank"} {
		_, err := d.Authenticate(ctxT(t), user, env.password())
		if r, ok := claims.IsRejected(err); !ok || r.NeedsPasswordChange() {
			t.Errorf("%s: %v", user, err)
		}
	}
}

// TestSambaClaimMapping: with claims.DefaultMapping (what the
// configuration file defaults to) the identity's groups are tokenGroups
// plus the logon SIDs a Windows network logon carries, and name is
// EXAMPLE\alice as AD FS's AD claims provider issues it; NameUPN makes it
// the UPN. Without a mapping (the zero Config) groupsid is tokenGroups
// alone. (Before: name was the UPN and groupsid lacked the logon SIDs.)
func TestSambaClaimMapping(t *testing.T) {
	env := samba(t)
	plain, err := env.directory(t, nil).Lookup(ctxT(t), "alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range claims.DefaultLogonSIDs() {
		if slices.Contains(plain.GroupSIDs, s) {
			t.Errorf("tokenGroups itself has %s: %v", s, plain.GroupSIDs)
		}
	}
	mapped := env.directory(t, func(c *Config) { c.Claims = claims.DefaultMapping() })
	alice, err := mapped.Authenticate(ctxT(t), "alice@example.test", env.password())
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]string(nil), plain.GroupSIDs...), claims.DefaultLogonSIDs()...)
	if !slices.Equal(alice.GroupSIDs, want) {
		t.Errorf("groups %v, want %v", alice.GroupSIDs, want)
	}
	if alice.NameValue() != `EXAMPLE\alice` {
		t.Errorf("name %q", alice.NameValue())
	}
	upn := env.directory(t, func(c *Config) { c.Claims = claims.Mapping{Name: claims.NameUPN} })
	if id, err := upn.Lookup(ctxT(t), `EXAMPLE\alice`); err != nil || id.NameValue() != "alice@example.test" || !slices.Equal(id.GroupSIDs, plain.GroupSIDs) {
		t.Errorf("NameUPN: %v, name %q, groups %v", err, id.NameValue(), id.GroupSIDs)
	}
}
