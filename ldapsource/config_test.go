package ldapsource

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func validConfig() Config {
	return Config{
		URLs:         []string{"ldaps://dc1.example.test", "ldaps://dc2.example.test:3269"},
		BindDN:       "CN=svc,CN=Users,DC=example,DC=test",
		BindPassword: "x",
		BaseDN:       "DC=example,DC=test",
	}
}

func TestNewDefaults(t *testing.T) {
	d, err := New(validConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	c := d.cfg
	if c.UserFilter != DefaultUserFilter || c.PoolSize != DefaultPoolSize || c.ConnectTimeout != DefaultConnectTimeout ||
		c.BindTimeout != DefaultBindTimeout || c.SearchTimeout != DefaultSearchTimeout || c.IdleTimeout != DefaultIdleTimeout ||
		c.RetryAfter != DefaultRetryAfter || c.PhoneAttribute != DefaultPhoneAttribute ||
		!slices.Equal(c.LoginForms, DefaultLoginForms()) || c.Now == nil || c.Logger == nil {
		t.Fatalf("defaults not applied: %+v", c)
	}
	if got := d.conn.servers[0].hostPort; got != "dc1.example.test:636" {
		t.Fatalf("default LDAPS port: %s", got)
	}
}

func TestNewReportsEveryProblem(t *testing.T) {
	bad := Config{
		URLs:          []string{"ldap://plain.example.test", "http://x", "ldaps://"},
		BindDN:        "not a dn",
		BaseDN:        "",
		UserFilter:    "(objectClass=user",
		LoginForms:    []LoginForm{"email"},
		NetBIOSDomain: "example.test",
		SearchTimeout: -time.Second,
		PoolSize:      -5,
		Attributes:    map[string]string{"bad attr": "", "department": "http://example/claims/dept"},
		CAFile:        filepath.Join(t.TempDir(), "missing.pem"),
	}
	_, err := New(bad)
	if err == nil {
		t.Fatal("New accepted a bad config")
	}
	for _, want := range []string{"URLs[0]", "plain LDAP", "URLs[1]", "URLs[2]", "BindDN", "BindPassword", "BaseDN",
		"UserFilter", "LoginForms[0]", "NetBIOSDomain", "SearchTimeout", "PoolSize", "Attributes[bad attr]", "CAFile"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "department") {
		t.Errorf("valid attribute reported: %v", err)
	}
}

func TestUserFilterWithNestedGroupRule(t *testing.T) {
	c := validConfig()
	c.UserFilter = "(&(objectCategory=person)(objectClass=user)(memberOf:1.2.840.113556.1.4.1941:=CN=claimgate users,OU=Groups,DC=example,DC=test))"
	if _, err := New(c); err != nil {
		t.Fatalf("documented user_filter example rejected: %v", err)
	}
}

func TestNewTLSModes(t *testing.T) {
	c := validConfig()
	c.URLs = []string{"ldap://dc1"}
	if _, err := New(c); err == nil {
		t.Error("plain ldap:// accepted without StartTLS or InsecurePlain")
	}
	c.StartTLS = true
	if _, err := New(c); err != nil {
		t.Errorf("StartTLS: %v", err)
	}
	c.URLs = []string{"ldaps://dc1"}
	if _, err := New(c); err == nil {
		t.Error("StartTLS with ldaps:// accepted")
	}
	c.StartTLS, c.InsecurePlain, c.URLs = false, true, []string{"ldap://dc1"}
	if _, err := New(c); err != nil {
		t.Errorf("InsecurePlain: %v", err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, []byte("not pem"), 0o600)
	c = validConfig()
	c.CAFile = ca
	if _, err := New(c); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("CAFile without certificates: %v", err)
	}
}

func TestServerOrder(t *testing.T) {
	now := time.Unix(1000, 0)
	c := validConfig()
	c.URLs = []string{"ldaps://a", "ldaps://b", "ldaps://c"}
	c.Now = func() time.Time { return now }
	d, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	names := func() string {
		var s []string
		for _, sv := range d.conn.order(now) {
			s = append(s, sv.host)
		}
		return strings.Join(s, ",")
	}
	if got := names(); got != "a,b,c" {
		t.Fatalf("in order: %s", got)
	}
	d.conn.servers[0].deadUntil.Store(now.Add(time.Minute).UnixNano())
	d.conn.servers[1].deadUntil.Store(now.Add(time.Second).UnixNano())
	if got := names(); got != "c,b,a" {
		t.Fatalf("dead servers last, soonest first: %s", got)
	}
	d.conn.servers[0].deadUntil.Store(now.Add(-time.Second).UnixNano()) // retry time passed
	d.conn.servers[1].deadUntil.Store(0)
	if got := names(); got != "a,b,c" {
		t.Fatalf("recovered: %s", got)
	}
	d.conn.cfg.Mode = RoundRobin
	var starts []string
	for range 4 {
		starts = append(starts, names()[:1])
	}
	if got := strings.Join(starts, ""); got != "abca" {
		t.Fatalf("round robin starts: %s", got)
	}
}
