package ldapsource

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/claimgate/claimgate/claims"
)

// TestServiceAccountRecognised: the service account's entry, as a server
// returns it, is recognised whichever of the three forms bind_dn is
// written in, whatever its case, spacing and DN escaping; other users,
// and same-named accounts of another domain or suffix, are not.
func TestServiceAccountRecognised(t *testing.T) {
	svc := ldap.NewEntry("CN=svc-claimgate,CN=Users,DC=example,DC=test", map[string][]string{
		"sAMAccountName": {"svc-claimgate"}, "userPrincipalName": {"svc-claimgate@example.test"}})
	noUPN := ldap.NewEntry("CN=svc-claimgate,CN=Users,DC=example,DC=test", map[string][]string{
		"sAMAccountName": {"svc-claimgate"}})
	escaped := ldap.NewEntry(`CN=Claimgate\2C Service,OU=Service Accounts,DC=example,DC=test`, map[string][]string{
		"sAMAccountName": {"svc-cg"}, "userPrincipalName": {"svc-cg@corp.example.org"}})
	alice := ldap.NewEntry("CN=alice,CN=Users,DC=example,DC=test", map[string][]string{
		"sAMAccountName": {"alice"}, "userPrincipalName": {"alice@example.test"}})
	example := func() (string, error) { return "EXAMPLE", nil }

	for _, tc := range []struct {
		bind  string
		entry *ldap.Entry
		want  bool
	}{
		{"CN=svc-claimgate,CN=Users,DC=example,DC=test", svc, true},
		{"cn=SVC-CLAIMGATE,cn=users,dc=EXAMPLE,dc=Test", svc, true},
		{"CN=svc-claimgate, CN=Users, DC=example, DC=test", svc, true},
		{`CN=Claimgate\, Service,OU=Service Accounts,DC=example,DC=test`, escaped, true},
		{`EXAMPLE\svc-claimgate`, svc, true},
		{`example\SVC-Claimgate`, svc, true},
		{"svc-claimgate@example.test", svc, true},
		{"SVC-Claimgate@Example.TEST", svc, true},
		{"svc-claimgate@example.test", noUPN, true}, // implicit UPN: sam@DNS domain
		{"svc-cg@corp.example.org", escaped, true},

		{"CN=svc-claimgate,CN=Users,DC=example,DC=test", alice, false},
		{"CN=svc-claimgate,OU=Other,DC=example,DC=test", svc, false},
		{"CN=svc-claimgate,CN=Users,DC=example", svc, false},
		{`EXAMPLE\svc-claimgate`, alice, false},
		{`OTHER\svc-claimgate`, svc, false},
		{"svc-claimgate@example.test", alice, false},
		{"svc-claimgate@other.test", svc, false},
		{"svc-claimgate@other.test", noUPN, false},
		{"svc-cg@example.test", escaped, true}, // implicit UPN again
		{"svc-cg@corp.example.org", svc, false},
	} {
		if got := parseServiceAccount(tc.bind).is(tc.entry, example); got != tc.want {
			t.Errorf("bind_dn %q, entry %s: %v, want %v", tc.bind, tc.entry.DN, got, tc.want)
		}
	}
}

// TestServiceAccountNetBIOSAskedOnlyWhenNeeded: for a DOMAIN\sam bind
// name the entry's domain is looked up only when the sam matches, and a
// failed lookup refuses (an unknown answer) rather than risk a bind.
func TestServiceAccountNetBIOSAskedOnlyWhenNeeded(t *testing.T) {
	s := parseServiceAccount(`EXAMPLE\svc-claimgate`)
	calls := 0
	failing := func() (string, error) { calls++; return "", errors.New("DC unreachable") }
	alice := ldap.NewEntry("CN=alice,CN=Users,DC=example,DC=test", map[string][]string{"sAMAccountName": {"alice"}})
	if s.is(alice, failing) || calls != 0 {
		t.Errorf("alice: recognised, or NetBIOS asked %d times", calls)
	}
	svc := ldap.NewEntry("CN=svc-claimgate,CN=Users,DC=example,DC=test", map[string][]string{"sAMAccountName": {"svc-claimgate"}})
	if !s.is(svc, failing) || calls != 1 {
		t.Errorf("svc-claimgate with NetBIOS unknown: not refused, or NetBIOS asked %d times", calls)
	}
}

// TestServiceAccountRefusedAsUnknown: the refusal carries the reason of a
// name that matches nothing, so the login flow, the audit log and the
// user see no difference.
func TestServiceAccountRefusedAsUnknown(t *testing.T) {
	d := &Directory{cfg: Config{NetBIOSDomain: "EXAMPLE"}, svcAccount: parseServiceAccount(`EXAMPLE\svc-claimgate`)}
	svc := ldap.NewEntry("CN=svc-claimgate,CN=Users,DC=example,DC=test", map[string][]string{"sAMAccountName": {"svc-claimgate"}})
	_, none := exactlyOne(nil)
	want, _ := claims.IsRejected(none)
	if got, ok := claims.IsRejected(d.refuseServiceAccount(context.Background(), svc)); !ok || got != want {
		t.Errorf("service account refused as %q, a name matching nothing as %q", got, want)
	}
	alice := ldap.NewEntry("CN=alice,CN=Users,DC=example,DC=test", map[string][]string{"sAMAccountName": {"alice"}})
	if err := d.refuseServiceAccount(context.Background(), alice); err != nil {
		t.Errorf("alice: %v", err)
	}
}

// opCounter is an Observer that counts requests per operation.
type opCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *opCounter) ObserveRequest(_, op string, _ time.Duration, _ error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[op]++
}

// cost runs f and returns the searches and binds it sent to the DC.
func (c *opCounter) cost(f func()) [2]int {
	c.mu.Lock()
	s, b := c.n[OpSearch], c.n[OpBind]
	c.mu.Unlock()
	f()
	c.mu.Lock()
	defer c.mu.Unlock()
	return [2]int{c.n[OpSearch] - s, c.n[OpBind] - b}
}

// TestSambaServiceAccountIsNotASignInTarget: the service account's own
// name, in every login form and with bind_dn in every form, is an unknown
// user to Lookup, Authenticate and CheckUser, at the cost of a name that
// matches nothing (one search, no bind). The right service password is
// used, so even a regression binds successfully and adds nothing to the
// account's bad-password count; a wrong one is never sent.
func TestSambaServiceAccountIsNotASignInTarget(t *testing.T) {
	env := samba(t)
	svcPassword := env["CLAIMGATE_TEST_LDAP_BIND_PASSWORD"]
	// Each service-account login name, and a name of the same form that
	// matches nothing.
	logins := [][2]string{
		{"svc-claimgate", "svc-nobody"},
		{"SVC-CLAIMGATE", "SVC-NOBODY"},
		{`EXAMPLE\svc-claimgate`, `EXAMPLE\svc-nobody`},
		{"svc-claimgate@example.test", "svc-nobody@example.test"},
		{"SVC-Claimgate@Example.Test", "SVC-Nobody@Example.Test"},
	}
	for _, bindName := range []string{env["CLAIMGATE_TEST_LDAP_BIND_DN"], "svc-claimgate@example.test", `EXAMPLE\svc-claimgate`} {
		t.Run(bindName, func(t *testing.T) {
			var ops opCounter
			d := env.directory(t, func(c *Config) { c.BindDN = bindName; c.Observer = &ops })
			// A normal user still signs in (and the NetBIOS name is cached,
			// as on a running instance).
			for _, name := range []string{"alice", `EXAMPLE\alice`, "alice@example.test"} {
				if id, err := d.Authenticate(ctxT(t), name, env.password()); err != nil || id.Username != "alice" {
					t.Fatalf("Authenticate(%q): %v", name, err)
				}
				if id, err := d.Lookup(ctxT(t), name); err != nil || id.Username != "alice" {
					t.Fatalf("Lookup(%q): %v", name, err)
				}
			}
			for _, l := range logins {
				for i, name := range l {
					var lookupErr, authErr error
					var report UserReport
					cost := ops.cost(func() {
						_, lookupErr = d.Lookup(ctxT(t), name)
						_, authErr = d.Authenticate(ctxT(t), name, svcPassword)
						var err error
						if report, err = d.CheckUser(ctxT(t), name); err != nil {
							t.Fatalf("CheckUser(%q): %v", name, err)
						}
					})
					for what, err := range map[string]error{"Lookup": lookupErr, "Authenticate": authErr} {
						if r, _ := claims.IsRejected(err); r != claims.ReasonUnknownUser {
							t.Errorf("%s(%q) = %v, want unknown_user", what, name, err)
						}
					}
					if report.Refusal == nil || report.Refusal.Reason != claims.ReasonUnknownUser {
						t.Errorf("CheckUser(%q) = %+v, want unknown_user", name, report)
					}
					if cost != [2]int{3, 0} {
						t.Errorf("%q: %d searches and %d binds, want 3 and 0 (as %q)", name, cost[0], cost[1], l[1-i])
					}
				}
			}
		})
	}
}
