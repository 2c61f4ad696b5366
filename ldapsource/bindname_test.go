package ldapsource

import (
	"strings"
	"testing"
)

// TestCheckBindNameForms: the service account may be named the three ways
// AD accepts in a simple bind. Before, anything that was not a DN was
// refused ("BindDN: DN ended with incomplete type, value pair"), so a UPN
// or EXAMPLE\svc in bind_dn stopped claimgate at start.
func TestCheckBindNameForms(t *testing.T) {
	for _, ok := range []string{
		"CN=svc-claimgate,OU=Service Accounts,DC=example,DC=com",
		`CN=Claimgate\, Service,CN=Users,DC=example,DC=test`,
		"svc-claimgate@example.com",
		"svc.claimgate@corp.example.org",
		`EXAMPLE\svc-claimgate`,
		`example\svc.claimgate`,
	} {
		if err := CheckBindName(ok); err != nil {
			t.Errorf("CheckBindName(%q): %v", ok, err)
		}
	}
	for bad, want := range map[string]string{
		"CN=svc-claimgate,OU=Service Accounts,DC=example,DC": "not a valid DN",
		"svc-claimgate":             "neither a DN, nor a user principal name",
		"@example.com":              "not a user principal name",
		"svc@":                      "not a user principal name",
		"svc claimgate@example.com": "not a user principal name",
		`example.com\svc`:           "the domain before the backslash",
		`EXAMPLE\`:                  "after the backslash",
		`EXAMPLE\svc\x`:             "after the backslash",
		" CN=svc,DC=example,DC=com": "spaces",
		// OIDs for names: the service account would not be recognised
		// among the users (serviceaccount.go), so they are refused.
		"2.5.4.3=svc,DC=example,DC=com":                          `attribute type "2.5.4.3"`,
		"CN=svc,0.9.2342.19200300.100.1.25=example,DC=com":       `attribute type "0.9.2342.19200300.100.1.25"`,
		"OID.2.5.4.3=svc,DC=example,DC=com":                      `attribute type "OID.2.5.4.3"`,
		"<GUID=0b3e0a1c-1111-2222-3333-444455556666>,DC=example": "not a valid DN",
	} {
		err := CheckBindName(bad)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckBindName(%q) = %v, want %q", bad, err, want)
		}
	}
}

// TestCheckNetBIOSDomainAndDN: one rule for NetBIOS names, DNs and
// filters, shared with internal/config. Before, the configuration accepted
// "EX.AMPLE" and "EX@MPLE" as netbios_domain and New then refused them
// under the Go field name.
func TestCheckNetBIOSDomainAndDN(t *testing.T) {
	for s, ok := range map[string]bool{"EXAMPLE": true, "CORP-01": true, "ABCDEFGHIJKLMNO": true,
		"ABCDEFGHIJKLMNOP": false, "example.com": false, "EX@MPLE": false, `EX\AMPLE`: false, "EX AMPLE": false, "": false} {
		if err := CheckNetBIOSDomain(s); (err == nil) != ok {
			t.Errorf("CheckNetBIOSDomain(%q) = %v", s, err)
		}
	}
	if err := CheckNetBIOSDomain("example.com"); err == nil || !strings.Contains(err.Error(), "looks like a DNS name") {
		t.Errorf("DNS name: %v", err)
	}
	for s, ok := range map[string]bool{"DC=example,DC=com": true, "OU=Staff,DC=example,DC=com": true,
		"example.com": false, "DC=example,DC": false, "": false} {
		if err := CheckDN(s); (err == nil) != ok {
			t.Errorf("CheckDN(%q) = %v", s, err)
		}
	}
	for s, ok := range map[string]bool{DefaultUserFilter: true, "(objectClass=user)(cn=x)": false, "objectClass=user": false} {
		if err := CheckUserFilter(s); (err == nil) != ok {
			t.Errorf("CheckUserFilter(%q) = %v", s, err)
		}
	}
}

// TestSambaServiceBindByUPNAndDownLevelName: against the real DC, a
// sign-in's lookup (service bind, then search) works with the service
// account named by its UPN and as EXAMPLE\svc-claimgate exactly as by its
// DN: ldapsource sends the name as given, and AD takes all three forms.
// (TestSambaCheckBindNameForms covers the same forms through Check.)
func TestSambaServiceBindByUPNAndDownLevelName(t *testing.T) {
	env := samba(t)
	netbios := env["CLAIMGATE_TEST_LDAP_NETBIOS"]
	if netbios == "" {
		t.Fatal("CLAIMGATE_TEST_LDAP_NETBIOS missing from the Samba env file; rerun scripts/samba/setup.sh")
	}
	for _, name := range []string{"svc-claimgate@example.test", netbios + `\svc-claimgate`} {
		d := env.directory(t, func(c *Config) { c.BindDN = name })
		id, err := d.Lookup(ctxT(t), "alice")
		if err != nil || id.SID != env.sambaSID(t, "user", "alice") {
			t.Errorf("bind_dn %q: Lookup(alice) = %+v, %v", name, id, err)
		}
	}
	// A wrong password under the UPN is refused by AD, not by claimgate.
	d := env.directory(t, func(c *Config) { c.BindDN, c.BindPassword = "svc-claimgate@example.test", "wrong" })
	if _, err := d.Lookup(ctxT(t), "alice"); err == nil {
		t.Error("a wrong service password was accepted")
	}
}
