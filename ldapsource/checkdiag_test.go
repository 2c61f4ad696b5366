package ldapsource

import (
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/claimgate/claimgate/claims"
)

// countingHangListener accepts connections, never answers, and counts
// the accepts: each one is a connection attempt claimgate paid a connect
// timeout for.
func countingHangListener(t testing.TB) (string, *atomic.Int64) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return l.Addr().String(), &n
}

// TestSambaCheckSharesDeadServers: in one check run, the server Check
// found hung is not waited on again by the searches and the user lookup
// that follow. Before, Check left the servers' health alone, so the
// lookup dialled the hung DC first and paid the connect timeout twice
// (two accepts).
func TestSambaCheckSharesDeadServers(t *testing.T) {
	env := samba(t)
	hung, accepts := countingHangListener(t)
	d := env.directory(t, func(c *Config) {
		c.URLs = []string{"ldaps://" + hung, env["CLAIMGATE_TEST_LDAP_URL"]}
		c.ConnectTimeout = failoverTimeout
	})
	r := d.Check(ctxT(t))
	if r[0].Connected || !r[1].Bound {
		t.Fatalf("check: %+v", r)
	}
	if s := d.CheckSearch(ctxT(t)); !s.OK() || s.Server != env["CLAIMGATE_TEST_LDAP_URL"] {
		t.Fatalf("search check: %+v", s)
	}
	if u, err := d.CheckUser(ctxT(t), "alice"); err != nil || u.Refusal != nil {
		t.Fatalf("alice: %+v %v", u, err)
	}
	if n := accepts.Load(); n != 1 {
		t.Errorf("the hung DC was connected to %d times in one check run, want 1", n)
	}
}

// TestSambaCheckBindNameForms: AD accepts the service account as a UPN
// and as DOMAIN\name in a simple bind; Check binds with each, and
// CheckSearch finds the service account itself by that form and reads
// the attributes sign-in needs on it.
func TestSambaCheckBindNameForms(t *testing.T) {
	env := samba(t)
	svcDN := env["CLAIMGATE_TEST_LDAP_BIND_DN"]
	for _, name := range []string{"svc-claimgate@example.test", `EXAMPLE\svc-claimgate`, svcDN} {
		t.Run(name, func(t *testing.T) {
			d := env.directory(t, func(c *Config) { c.BindDN = name })
			if r := d.Check(ctxT(t)); !r[0].Bound {
				t.Fatalf("bind as %s: %+v", name, r[0])
			}
			s := d.CheckSearch(ctxT(t))
			if !s.OK() || !strings.EqualFold(s.Sample, svcDN) || s.Groups == 0 || len(s.Findings) != 0 {
				t.Errorf("search check as %s: %+v", name, s)
			}
		})
	}
}

// TestSambaCheckSearchFindings: the configuration mistakes that left
// check green while every sign-in failed are each named with the field
// to fix.
func TestSambaCheckSearchFindings(t *testing.T) {
	env := samba(t)
	// The right NetBIOS name, configured, is no finding.
	if s := env.directory(t, func(c *Config) { c.NetBIOSDomain = "example" }).CheckSearch(ctxT(t)); !s.OK() {
		t.Fatalf("correct netbios_domain: %+v", s)
	}
	for name, tc := range map[string]struct {
		edit   func(*Config)
		fields string
		text   string
	}{
		"base DN does not exist": {func(c *Config) { c.BaseDN = "DC=nosuch,DC=test" }, "BaseDN",
			"DC=nosuch,DC=test does not exist on the domain controller (LDAP error 32, no such object); this domain controller's domain is DC=example,DC=test"},
		"filter the server refuses": {func(c *Config) {
			c.UserFilter = "(&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=ACCOUNTDISABLE)))"
		}, "UserFilter", "the domain controller refused a user search with the filter"},
		"filter matches nobody": {func(c *Config) { c.UserFilter = "(&(objectClass=user)(department=no such department))" },
			"UserFilter BaseDN", "every sign-in would find no account"},
		"NetBIOS name not the domain's": {func(c *Config) { c.NetBIOSDomain = "OTHER" }, "NetBIOSDomain",
			`the domain's NetBIOS name is EXAMPLE, not OTHER: every EXAMPLE\user sign-in would find no account`},
	} {
		t.Run(name, func(t *testing.T) {
			s := env.directory(t, tc.edit).CheckSearch(ctxT(t))
			if s.OK() || s.Err != nil || len(s.Findings) != 1 {
				t.Fatalf("%+v", s)
			}
			f := s.Findings[0]
			if strings.Join(f.Fields, " ") != tc.fields || !strings.Contains(f.Text, tc.text) || f.Warning {
				t.Errorf("finding %+v, want fields %q and text with %q", f, tc.fields, tc.text)
			}
		})
	}
}

// TestSambaCheckUserAccountState: CheckUser refuses exactly the accounts
// sign-in refuses, for the reason sign-in logs. Lookup (what check --user
// used) reported dave, who must change his password, as fine.
func TestSambaCheckUserAccountState(t *testing.T) {
	env := samba(t)
	d := env.directory(t, nil)
	for user, want := range map[string]claims.Reason{
		"dave": claims.ReasonMustChange, "frank": claims.ReasonAccountExpired, "erin": claims.ReasonLockedOut,
		"carol": claims.ReasonDisabled, "nobody-here": claims.ReasonUnknownUser, "alice": "",
	} {
		r, err := d.CheckUser(ctxT(t), user)
		if err != nil {
			t.Fatalf("%s: %v", user, err)
		}
		switch {
		case want == "" && (r.Refusal != nil || r.Identity.Username != user):
			t.Errorf("%s: %+v", user, r)
		case want != "" && (r.Refusal == nil || r.Refusal.Reason != want || r.Why == "" || r.HelpDesk == ""):
			t.Errorf("%s: %+v, want %s", user, r, want)
		}
		// The same decision as sign-in with the right password.
		_, authErr := d.Authenticate(ctxT(t), user, env.password())
		if got, _ := claims.IsRejected(authErr); want != "" && got != want {
			t.Errorf("%s: sign-in refuses for %q, check says %q", user, got, want)
		}
	}
}
