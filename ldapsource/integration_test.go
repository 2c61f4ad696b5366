package ldapsource

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/claimgate/claimgate/claims"
)

func TestSambaLookupMatchesSambaTool(t *testing.T) {
	env := samba(t)
	d := env.directory(t, nil) // NetBIOSDomain unset: discovered from CN=Partitions
	domainSID := strings.TrimSuffix(env.sambaSID(t, "group", "Domain Users"), "-513")
	for _, name := range []string{"alice", "bob", "dave", "heidi"} {
		id, err := d.Lookup(ctxT(t), name)
		if err != nil {
			t.Fatalf("Lookup(%s): %v", name, err)
		}
		if want := env.sambaSID(t, "user", name); id.SID != want {
			t.Errorf("%s: SID %s, samba-tool says %s", name, id.SID, want)
		}
		if id.Username != name || id.Domain != "EXAMPLE" || id.WindowsAccountName() != `EXAMPLE\`+name {
			t.Errorf("%s: username %q domain %q", name, id.Username, id.Domain)
		}
		if id.PrimaryGroupSID != domainSID+"-513" {
			t.Errorf("%s: primary group %s, want %s-513", name, id.PrimaryGroupSID, domainSID)
		}
	}
	alice, _ := d.Lookup(ctxT(t), "alice")
	if alice.UPN != "alice@example.test" || alice.DisplayName != "Alice Example" || alice.Email != "alice@example.test" ||
		alice.Mobile != "+15550100001" || !slices.Equal(alice.Extra["http://schemas.example.test/claims/department"], []string{"Engineering"}) {
		t.Errorf("alice attributes: %+v", alice)
	}
	// The user search from the domain root gets referrals (to the
	// configuration partition) besides the entry; they must not fail it.
	res, err := d.search(ctxT(t), ldapSearch(d, "(sAMAccountName=alice)"))
	if err != nil || len(res.Entries) != 1 || len(res.Referrals) == 0 {
		t.Errorf("search from the domain root: %v, %d entries, referrals %v", err, len(res.Entries), res.Referrals)
	}
	heidi, _ := d.Lookup(ctxT(t), "heidi")
	if heidi.UPN != "heidi@corp.example.org" {
		t.Errorf("heidi UPN %q", heidi.UPN)
	}
}

func TestSambaTokenGroupsIncludeNestedAndDomainUsers(t *testing.T) {
	env := samba(t)
	d := env.directory(t, nil)
	vpn, remote, users := env.sambaSID(t, "group", "VPN Users"), env.sambaSID(t, "group", "Remote Access"), env.sambaSID(t, "group", "Domain Users")
	alice, err := d.Lookup(ctxT(t), "alice")
	if err != nil {
		t.Fatal(err)
	}
	for name, sid := range map[string]string{"VPN Users (direct)": vpn, "Remote Access (nested)": remote, "Domain Users": users} {
		if !slices.Contains(alice.GroupSIDs, sid) {
			t.Errorf("alice's groups %v lack %s %s", alice.GroupSIDs, name, sid)
		}
	}
	if !slices.Contains(alice.GroupSIDs, "S-1-5-32-545") {
		t.Errorf("alice's groups %v lack BUILTIN\\Users", alice.GroupSIDs)
	}
	bob, err := d.Lookup(ctxT(t), "bob")
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(bob.GroupSIDs, vpn) || slices.Contains(bob.GroupSIDs, remote) || !slices.Contains(bob.GroupSIDs, users) {
		t.Errorf("bob's groups %v", bob.GroupSIDs)
	}
}

func TestSambaLoginForms(t *testing.T) {
	env := samba(t)
	d := env.directory(t, nil)
	aliceSID := env.sambaSID(t, "user", "alice")
	for _, name := range []string{"alice", "ALICE", `EXAMPLE\alice`, `example\alice`, "alice@example.test", "Alice@Example.Test"} {
		id, err := d.Authenticate(ctxT(t), name, env.password())
		if err != nil || id.SID != aliceSID {
			t.Errorf("Authenticate(%q): %v, SID %q", name, err, id.SID)
		}
	}
	if id, err := d.Authenticate(ctxT(t), "heidi@corp.example.org", env.password()); err != nil || id.Username != "heidi" {
		t.Errorf("heidi by UPN with another suffix: %v %+v", err, id)
	}
	for _, name := range []string{`OTHER\alice`, "heidi@example.test", "nobody", "*", "alice*", "*)(sAMAccountName=*"} {
		_, err := d.Authenticate(ctxT(t), name, env.password())
		if r, _ := claims.IsRejected(err); r != claims.ReasonUnknownUser {
			t.Errorf("Authenticate(%q) = %v, want unknown_user", name, err)
		}
	}

	onlyUPN := env.directory(t, func(c *Config) { c.LoginForms = []LoginForm{FormUPN}; c.NetBIOSDomain = "EXAMPLE" })
	if _, err := onlyUPN.Authenticate(ctxT(t), "alice@example.test", env.password()); err != nil {
		t.Errorf("UPN-only: %v", err)
	}
	for _, name := range []string{"alice", `EXAMPLE\alice`} {
		if r, _ := claims.IsRejected(func() error { _, err := onlyUPN.Authenticate(ctxT(t), name, env.password()); return err }()); r != claims.ReasonUnknownUser {
			t.Errorf("UPN-only accepted %q", name)
		}
	}
}

// TestSambaADCodesFromBind shows that the DC's real bind errors map as
// documented, by binding as each seeded account directly.
func TestSambaADCodesFromBind(t *testing.T) {
	env := samba(t)
	d := env.directory(t, nil)
	for user, want := range map[string]claims.Reason{
		"carol": claims.ReasonDisabled,       // data 533
		"dave":  claims.ReasonMustChange,     // data 773
		"frank": claims.ReasonAccountExpired, // data 701
		"erin":  claims.ReasonLockedOut,      // data 775
	} {
		dn := "CN=" + user + ",CN=Users," + env["CLAIMGATE_TEST_LDAP_BASE_DN"]
		err := d.binds.with(ctxT(t), func(c *conn) error { return c.Bind(dn, env.password()) })
		if r, _ := claims.IsRejected(bindError(err)); r != want {
			t.Errorf("bind as %s: %v → %q, want %q", user, err, r, want)
		}
		if !strings.Contains(err.Error(), "data ") {
			t.Errorf("bind as %s: no AD data code in %v", user, err)
		}
	}
}

func TestSambaAuthenticateRejections(t *testing.T) {
	env := samba(t)
	d := env.directory(t, nil)
	for _, tc := range []struct {
		user, password string
		want           claims.Reason
	}{
		{"bob", "wrong-password", claims.ReasonBadPassword}, // data 52e
		{"carol", env.password(), claims.ReasonDisabled},    // userAccountControl, before the bind
		{"dave", env.password(), claims.ReasonMustChange},   // data 773
		{"erin", env.password(), claims.ReasonLockedOut},    // computed lockout, before the bind
		{"frank", env.password(), claims.ReasonAccountExpired},
		{"nobody", env.password(), claims.ReasonUnknownUser},
	} {
		_, err := d.Authenticate(ctxT(t), tc.user, tc.password)
		if r, _ := claims.IsRejected(err); r != tc.want {
			t.Errorf("Authenticate(%s): %v, want %s", tc.user, err, tc.want)
		}
	}
	// A correct bind resets bob's bad-password count, so repeated runs
	// never lock him out.
	if _, err := d.Authenticate(ctxT(t), "bob", env.password()); err != nil {
		t.Fatalf("bob: %v", err)
	}
	// Lookup refuses what no token may be issued for, and allows a user
	// whose password must change (that is a password matter).
	for user, want := range map[string]claims.Reason{"carol": claims.ReasonDisabled, "erin": claims.ReasonLockedOut,
		"frank": claims.ReasonAccountExpired, "dave": ""} {
		_, err := d.Lookup(ctxT(t), user)
		if r, _ := claims.IsRejected(err); r != want || (want == "" && err != nil) {
			t.Errorf("Lookup(%s): %v, want %q", user, err, want)
		}
	}
}

func TestSambaEmptyPasswordNeverBinds(t *testing.T) {
	env := samba(t)
	d := env.directory(t, nil)
	_, err := d.Authenticate(ctxT(t), "alice", "")
	if r, _ := claims.IsRejected(err); r != claims.ReasonBadPassword {
		t.Fatalf("empty password: %v", err)
	}
	if n := d.binds.opened.Load() + d.svc.opened.Load(); n != 0 {
		t.Fatalf("empty password opened %d connections", n)
	}
}

func TestSambaStartTLS(t *testing.T) {
	env := samba(t)
	d := env.directory(t, func(c *Config) { c.URLs = []string{env["CLAIMGATE_TEST_LDAP_STARTTLS_URL"]}; c.StartTLS = true })
	if _, err := d.Authenticate(ctxT(t), "alice", env.password()); err != nil {
		t.Fatal(err)
	}
	c, _, err := d.svc.get(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.svc.put(c, false)
	if st, ok := c.TLSConnectionState(); !ok || !st.HandshakeComplete || len(st.VerifiedChains) == 0 {
		t.Fatalf("StartTLS connection not verified TLS: %+v", st)
	}
}

func TestSambaPlainLDAPIsRefusedByAD(t *testing.T) {
	env := samba(t)
	d := env.directory(t, func(c *Config) { c.URLs = []string{env["CLAIMGATE_TEST_LDAP_STARTTLS_URL"]}; c.InsecurePlain = true })
	_, err := d.Authenticate(ctxT(t), "alice", env.password())
	if _, rejected := claims.IsRejected(err); err == nil || rejected {
		t.Fatalf("plain simple bind: %v; want an infrastructure error (AD requires strong auth)", err)
	}
}

// otherCA is a CA that did not sign the DC's certificate.
func otherCA(t *testing.T) *x509.CertPool {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "not the AD CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	p := x509.NewCertPool()
	p.AddCert(cert)
	return p
}

func TestSambaWrongCARefused(t *testing.T) {
	env := samba(t)
	for name, edit := range map[string]func(*Config){
		"ldaps, other CA":     func(c *Config) { c.CAFile = ""; c.RootCAs = otherCA(t) },
		"ldaps, system roots": func(c *Config) { c.CAFile = "" },
		"starttls, other CA": func(c *Config) {
			c.CAFile, c.RootCAs = "", otherCA(t)
			c.URLs, c.StartTLS = []string{env["CLAIMGATE_TEST_LDAP_STARTTLS_URL"]}, true
		},
	} {
		d := env.directory(t, edit)
		_, err := d.Authenticate(ctxT(t), "alice", env.password())
		var unknownAuthority x509.UnknownAuthorityError
		if _, rejected := claims.IsRejected(err); err == nil || rejected || !errors.As(err, &unknownAuthority) &&
			!strings.Contains(err.Error(), "certificate signed by unknown authority") {
			t.Errorf("%s: %v; want a certificate error", name, err)
		}
		if r := d.Check(ctxT(t)); r[0].Connected || r[0].Err == nil {
			t.Errorf("%s: Check says connected: %+v", name, r[0])
		}
	}
}

func TestSambaPoolReusesConnections(t *testing.T) {
	env := samba(t)
	d := env.directory(t, func(c *Config) { c.PoolSize = 3 })
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 10 {
		wg.Go(func() {
			for range 10 {
				if _, err := d.Authenticate(ctxT(t), "alice", env.password()); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if s, b := d.svc.opened.Load(), d.binds.opened.Load(); s > 3 || b > 3 {
		t.Fatalf("100 sign-ins opened %d service and %d bind connections, pool size 3", s, b)
	}
}

func TestSambaNoPoolingOpensPerOperation(t *testing.T) {
	env := samba(t)
	d := env.directory(t, func(c *Config) { c.PoolSize = NoPooling; c.NetBIOSDomain = "EXAMPLE" })
	for range 3 {
		if _, err := d.Authenticate(ctxT(t), "alice", env.password()); err != nil {
			t.Fatal(err)
		}
	}
	// Per sign-in: user search + tokenGroups read (service), one user bind.
	if s, b := d.svc.opened.Load(), d.binds.opened.Load(); s != 6 || b != 3 {
		t.Fatalf("opened %d service and %d bind connections, want 6 and 3", s, b)
	}
}

func TestSambaDroppedConnectionsAreReplaced(t *testing.T) {
	env := samba(t)
	p := newProxy(t, strings.TrimPrefix(env["CLAIMGATE_TEST_LDAP_URL"], "ldaps://"))
	d := env.directory(t, func(c *Config) { c.URLs = []string{"ldaps://" + p.addr}; c.PoolSize = 1 })
	if _, err := d.Authenticate(ctxT(t), "alice", env.password()); err != nil {
		t.Fatal(err)
	}
	p.dropAll() // the DC restarted, or a firewall cut idle sessions
	if _, err := d.Authenticate(ctxT(t), "alice", env.password()); err != nil {
		t.Fatalf("after the connections were dropped: %v", err)
	}
	if s, b := d.svc.opened.Load(), d.binds.opened.Load(); s != 2 || b != 2 {
		t.Fatalf("opened %d service and %d bind connections, want 2 and 2 (one replacement each)", s, b)
	}
}

func TestSambaIdleConnectionsExpire(t *testing.T) {
	env := samba(t)
	now := time.Now()
	var mu sync.Mutex
	d := env.directory(t, func(c *Config) {
		c.IdleTimeout = time.Minute
		c.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	if _, err := d.Lookup(ctxT(t), "alice"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	if _, err := d.Lookup(ctxT(t), "alice"); err != nil {
		t.Fatal(err)
	}
	if s := d.svc.opened.Load(); s != 2 {
		t.Fatalf("opened %d service connections, want 2 (idle one replaced)", s)
	}
}

func ldapSearch(d *Directory, filter string) *ldap.SearchRequest {
	return ldap.NewSearchRequest(d.cfg.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		filter, []string{"sAMAccountName"}, nil)
}
