package login_test

import (
	"encoding/pem"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/ldapsource"
)

// sambaDirectory is the test domain controller (scripts/samba/setup.sh)
// as claimgate serve sees it with the configuration file's defaults:
// LDAPS with verification and claims.DefaultMapping.
func sambaDirectory(t *testing.T) (login.Directory, string) {
	t.Helper()
	env := testutil.SambaEnv(t, "CLAIMGATE_TEST_LDAP_URL", "CLAIMGATE_TEST_LDAP_CA_FILE", "CLAIMGATE_TEST_LDAP_BIND_DN",
		"CLAIMGATE_TEST_LDAP_BIND_PASSWORD", "CLAIMGATE_TEST_LDAP_BASE_DN", "CLAIMGATE_TEST_LDAP_USER_PASSWORD")
	d, err := ldapsource.New(ldapsource.Config{
		URLs: []string{env["CLAIMGATE_TEST_LDAP_URL"]}, CAFile: env["CLAIMGATE_TEST_LDAP_CA_FILE"],
		BindDN: env["CLAIMGATE_TEST_LDAP_BIND_DN"], BindPassword: env["CLAIMGATE_TEST_LDAP_BIND_PASSWORD"],
		BaseDN: env["CLAIMGATE_TEST_LDAP_BASE_DN"], NetBIOSDomain: "EXAMPLE", ConnectTimeout: 2 * time.Second,
		Claims: claims.DefaultMapping(), Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, env["CLAIMGATE_TEST_LDAP_USER_PASSWORD"]
}

// TestSambaMustChangePage: dave must change his password (pwdLastSet = 0,
// the DC answers his correct password with 773). Against the real DC the
// sign-in page tells him so and links the password-change page, and the
// attempt is not counted; the audit says password_must_change. (Before:
// "The user name or password is incorrect", counted towards lockout.)
func TestSambaMustChangePage(t *testing.T) {
	dir, pw := sambaDirectory(t)
	e := newEnv(t, setup{appPasswords: true, page: login.LoginPage{PasswordChangeURL: changeURL},
		directory: func(login.Directory) login.Directory { return dir }})
	b := e.browser()
	b.get(signInURL(realm, "c")).wantRedirect(t, login.PathLogin)
	p := b.password("dave", pw)
	p.wantStatus(t, http.StatusOK)
	wantMessage(t, p, "error.password_must_change")
	if !strings.Contains(p.body, `<a href="`+changeURL+`">`) {
		t.Errorf("no link to the password-change page:\n%s", p.body)
	}
	if n := e.throttleFails(); n != 0 {
		t.Errorf("the must-change attempt was counted %d times", n)
	}
	if !strings.Contains(e.audit.String(), `"reason":"password_must_change"`) {
		t.Errorf("audit:\n%s", e.audit.String())
	}
}

// TestSambaTokenClaimsLikeADFS: a whole sign-in of alice against the real
// DC gives a token (verified by xmlsec1, an implementation independent of
// ours) whose name is EXAMPLE\alice, as AD FS's AD claims provider issues
// it, and whose groupsid has tokenGroups plus Everyone, NETWORK,
// Authenticated Users and This Organization. (Before: name was the UPN and
// the well-known SIDs were missing.) alice's code comes from the users
// file's seed of the same name, as a second factor the flow knows.
func TestSambaTokenClaimsLikeADFS(t *testing.T) {
	dir, pw := sambaDirectory(t)
	e := newEnv(t, setup{directory: func(login.Directory) login.Directory { return dir }})
	b := e.browser()
	b.get(signInURL(realm, "c")).wantRedirect(t, login.PathLogin)
	b.password("alice@example.test", pw).wantRedirect(t, login.PathCode)
	p := b.enterCode(e.code())
	p.wantStatus(t, http.StatusOK)
	ap := readAutoPost(t, p)
	tok := e.verify(t, ap, realm)
	if got := claimValues(tok, claims.Name); !slices.Equal(got, []string{`EXAMPLE\alice`}) {
		t.Errorf("name %v", got)
	}
	if tok.NameID != "alice@example.test" || !slices.Equal(claimValues(tok, claims.UPN), []string{"alice@example.test"}) {
		t.Errorf("subject %q, upn %v", tok.NameID, claimValues(tok, claims.UPN))
	}
	groups := claimValues(tok, claims.GroupSID)
	for _, s := range append(claims.DefaultLogonSIDs(), "S-1-5-32-545") {
		if !slices.Contains(groups, s) {
			t.Errorf("groupsid %v lacks %s", groups, s)
		}
	}
	crt := testutil.WriteTemp(t, "signing.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.key.Certificate.Raw}))
	if out, ok := testutil.XMLSecVerify(t, []byte(ap.values["wresult"]), testutil.XMLSecAssertionID, crt); !ok {
		t.Errorf("xmlsec1 does not verify the token:\n%s", out)
	}
}
