package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// adCheck is the directory section of one `check` test against the Samba
// DC: the test env's values unless set here.
type adCheck struct {
	urls            []string
	caFile          string
	bindDN, baseDN  string
	password, extra string // extra: lines under directory.ldap, indented
}

// runADCheck writes a configuration for c and runs `claimgate check
// --config FILE ARGS...`, returning the exit code and stdout.
func runADCheck(t *testing.T, ad sambaEnv, c adCheck, args ...string) (int, string) {
	t.Helper()
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	if len(c.urls) == 0 {
		c.urls = []string{ad["CLAIMGATE_TEST_LDAP_URL"]}
	}
	def(&c.caFile, ad["CLAIMGATE_TEST_LDAP_CA_FILE"])
	def(&c.bindDN, ad["CLAIMGATE_TEST_LDAP_BIND_DN"])
	def(&c.baseDN, ad["CLAIMGATE_TEST_LDAP_BASE_DN"])
	def(&c.password, ad["CLAIMGATE_TEST_LDAP_BIND_PASSWORD"])
	fx := newFixture(t)
	fx.env["CHECK_BIND_PASSWORD"] = c.password
	fx.writeConfig(t, serveConfig{directory: fmt.Sprintf(`directory:
  ldap:
    urls: [%s]
    ca_file: %s
    bind_dn: %q
    bind_password: {env: CHECK_BIND_PASSWORD}
    base_dn: %q
    netbios_domain: %s
    timeouts: {connect: 300ms}
%s`, strings.Join(c.urls, ", "), c.caFile, c.bindDN, c.baseDN, ad["CLAIMGATE_TEST_LDAP_NETBIOS"], c.extra)})
	code, out, errOut := runCmd(t, "", fx.getenv, append([]string{"check", "--config", fx.cfgPath}, args...)...)
	t.Logf("claimgate check %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	if strings.Contains(out+errOut, c.password) {
		t.Error("check printed the service account's password")
	}
	return code, out
}

// wantLines fails unless out has each line (exactly, as a whole line).
func wantLines(t *testing.T, out string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(l) + `$`).MatchString(out) {
			t.Errorf("output lacks the line\n%s", l)
		}
	}
}

// TestCheckADBaseDNMissing: a base_dn that does not exist. Before, check
// passed (exit 0: the bind worked) and every sign-in then got the 503
// "cannot reach the directory" page; now the search fails, names
// directory.ldap.base_dn and the DC's own domain, and check exits 1.
func TestCheckADBaseDNMissing(t *testing.T) {
	ad := samba(t)
	code, out := runADCheck(t, ad, adCheck{baseDN: "OU=No Such OU,DC=example,DC=test"}, "--user", "alice")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantLines(t, out,
		"directory search: FAILED, sign-in cannot read what it needs",
		"  check directory.ldap.base_dn: OU=No Such OU,DC=example,DC=test does not exist on the domain controller (LDAP error 32, no such object); "+
			"this domain controller's domain is DC=example,DC=test: set it to the DN of the domain or of the OU that holds the users",
		"user alice: not looked up, the directory checks above failed")
	if code, _ := runADCheck(t, ad, adCheck{baseDN: "OU=No Such OU,DC=example,DC=test"}); code != 1 {
		t.Errorf("without --user: exit %d, want 1", code)
	}
}

// TestCheckADUserFilter: a user filter the DC refuses, and one that
// matches nobody, each name directory.ldap.user_filter (before: exit 0).
func TestCheckADUserFilter(t *testing.T) {
	ad := samba(t)
	refused := "(&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=ACCOUNTDISABLE)))"
	code, out := runADCheck(t, ad, adCheck{extra: "    user_filter: \"" + refused + "\"\n"})
	if code != 1 || !strings.Contains(out, "\n  check directory.ldap.user_filter: the domain controller refused a user search with the filter "+
		refused+" (LDAP error 1, Operations Error: ") {
		t.Errorf("refused filter: exit %d", code)
	}
	code, out = runADCheck(t, ad, adCheck{extra: "    user_filter: \"(&(objectClass=user)(department=nosuch))\"\n"})
	if code != 1 {
		t.Errorf("filter matching nobody: exit %d", code)
	}
	wantLines(t, out, "  check directory.ldap.user_filter and directory.ldap.base_dn: no user under DC=example,DC=test matches "+
		"the user filter (&(objectClass=user)(department=nosuch)): every sign-in would find no account")
}

// TestCheckADWrongBindPassword: AD's 52e on the service bind is reported
// as "check bind_dn and bind_password", not only as the raw LDAP error.
func TestCheckADWrongBindPassword(t *testing.T) {
	ad := samba(t)
	url := ad["CLAIMGATE_TEST_LDAP_URL"]
	code, out := runADCheck(t, ad, adCheck{password: "Not-The-Password-1"}, "--user", "alice")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !regexp.MustCompile(`(?m)^directory server ` + regexp.QuoteMeta(url) +
		`: CONNECTED, SERVICE BIND FAILED \([^)]+\): LDAP Result Code 49 "Invalid Credentials": .*data 52e`).MatchString(out) {
		t.Error("no SERVICE BIND FAILED line with AD's 52e")
	}
	wantLines(t, out,
		"  check directory.ldap.bind_dn and directory.ldap.bind_password: the domain controller refused the service account's name or password (AD code 52e)",
		"directory search: not run, no domain controller accepted the service account")
}

// TestCheckADBindNameForms: AD accepts the service account as a UPN and
// as DOMAIN\name for a simple bind; check passes with both and reads the
// attributes on the service account itself.
func TestCheckADBindNameForms(t *testing.T) {
	ad := samba(t)
	for _, name := range []string{"svc-claimgate@example.test", ad["CLAIMGATE_TEST_LDAP_NETBIOS"] + `\svc-claimgate`} {
		code, out := runADCheck(t, ad, adCheck{bindDN: name}, "--user", "alice")
		if code != 0 {
			t.Errorf("bind_dn %s: exit %d", name, code)
		}
		if !regexp.MustCompile(`(?m)^directory search: ok, base DC=example,DC=test exists, the user filter finds users, ` +
			`objectSid, sAMAccountName, userPrincipalName and [1-9][0-9]* tokenGroups readable on ` +
			regexp.QuoteMeta(ad["CLAIMGATE_TEST_LDAP_BIND_DN"]) + `$`).MatchString(out) {
			t.Errorf("bind_dn %s: no ok search line on the service account", name)
		}
	}
}

// TestCheckADWrongCA: a ca_file with another CA. The message names the
// issuer (the test DC's CA, read from its file) and the subject of the
// certificate the DC presented, over LDAPS and over StartTLS (where
// go-ldap keeps only the error text, so the chain comes from a probe).
func TestCheckADWrongCA(t *testing.T) {
	ad := samba(t)
	caPEM, err := os.ReadFile(ad["CLAIMGATE_TEST_LDAP_CA_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(caPEM)
	realCA, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	other := throwawayCA(t)
	startTLS := ad["CLAIMGATE_TEST_LDAP_STARTTLS_URL"]
	if startTLS == "" {
		t.Fatal("CLAIMGATE_TEST_LDAP_STARTTLS_URL missing from the Samba env file")
	}
	for name, c := range map[string]adCheck{
		"ldaps":    {caFile: other},
		"starttls": {caFile: other, urls: []string{startTLS}, extra: "    start_tls: true\n"},
	} {
		t.Run(name, func(t *testing.T) {
			code, out := runADCheck(t, ad, c)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			m := regexp.MustCompile(`(?m)^  check directory.ldap.ca_file: the domain controller presented a certificate for (.+) issued by (.+), ` +
				`which is not among the CAs in ` + regexp.QuoteMeta(other) + `: export that CA's certificate \(Base-64 .cer, i.e. PEM\) into the CA file$`).
				FindStringSubmatch(out)
			if m == nil {
				t.Fatal("no ca_file line naming the presented certificate")
			}
			if m[2] != realCA.Subject.String() || !strings.Contains(m[1], "CN=") {
				t.Errorf("named subject %q, issuer %q; the DC's CA is %q", m[1], m[2], realCA.Subject)
			}
		})
	}
}

// throwawayCA writes a CA certificate nobody signed the DC's with.
func throwawayCA(t *testing.T) string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "throwaway CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "other-ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCheckADAccountState: check --user says why each seeded account
// cannot sign in and what the help desk should do, and exits 1. Before,
// dave (must change his password) was reported with his claims and exit
// 0, and frank, erin and carol as "not found or not usable (reason)".
func TestCheckADAccountState(t *testing.T) {
	ad := samba(t)
	for user, want := range map[string][]string{
		"dave": {
			`user dave: CANNOT SIGN IN: the password must be changed first ("User must change password at next logon"); sign-in logs password_must_change (pwdLastSet is 0)`,
			`  help desk: have the user change the password (at a Windows sign-in or your password-change page), or reset it for them without "User must change password at next logon"; claimgate cannot change passwords`,
		},
		"frank": {
			"user frank: CANNOT SIGN IN: the account has expired in Active Directory; sign-in logs account_expired (accountExpires 2020-01-01T00:00:00Z)",
			"  help desk: if the user should still have access, move or clear the expiry date (Account tab, Account expires; or Set-ADAccountExpiration)",
		},
		"erin": {
			"user erin: CANNOT SIGN IN: the account is locked out in Active Directory (too many wrong passwords); sign-in logs account_locked (msDS-User-Account-Control-Computed has LOCKOUT)",
			"  help desk: unlock it (Active Directory Users and Computers: Account tab, Unlock account; or Unlock-ADAccount), or wait for the domain's lockout duration; then ask whether a phone or PC still tries an old password",
		},
		"carol": {
			"user carol: CANNOT SIGN IN: the account is disabled in Active Directory; sign-in logs account_disabled (userAccountControl has ACCOUNTDISABLE)",
			"  help desk: if the user should have access, enable the account (Active Directory Users and Computers: Enable Account, or Enable-ADAccount)",
		},
	} {
		t.Run(user, func(t *testing.T) {
			code, out := runADCheck(t, ad, adCheck{}, "--user", user)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			wantLines(t, out, want...)
			if strings.Contains(out, "claims issued") {
				t.Error("claims printed for an account that cannot sign in")
			}
		})
	}
}

// TestCheckADNamesPrintedPlainly: the name is printed as typed, not
// Go-quoted ("EXAMPLE\\alice" read as two backslashes).
func TestCheckADNamesPrintedPlainly(t *testing.T) {
	ad := samba(t)
	code, out := runADCheck(t, ad, adCheck{}, "--user", `EXAMPLE\alice`)
	if code != 0 {
		t.Errorf("exit %d", code)
	}
	if !regexp.MustCompile(`(?m)^user EXAMPLE\\alice found in [0-9.]+(µs|ms|s): EXAMPLE\\alice$`).MatchString(out) {
		t.Error(`no plain "user EXAMPLE\alice found" line`)
	}
	if strings.Contains(out, `\\`) || strings.Contains(out, `"EXAMPLE`) {
		t.Error("a name is still printed Go-quoted")
	}
}

// TestPlainEscapesControlCharacters: what plain leaves alone and what it
// escapes, so a name from the command line or the directory cannot move
// the cursor or hide text on the administrator's terminal.
func TestPlainEscapesControlCharacters(t *testing.T) {
	for in, want := range map[string]string{
		`EXAMPLE\alice`:               `EXAMPLE\alice`,
		"Zoë Ødegård 山田":              "Zoë Ødegård 山田",
		"a\x1b[2Jb":                   `a\u001B[2Jb`,
		"line\nbreak\ttab\r":          `line\u000Abreak\u0009tab\u000D`,
		"rtl\u202eoverride\u200bzw":   `rtl\u202Eoverride\u200Bzw`,
		"bad\xffutf8 \uFFFD replaced": `bad\xffutf8 ` + "\uFFFD" + ` replaced`,
	} {
		if got := plain(in); got != want {
			t.Errorf("plain(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestCheckHungDCPaidOnce: with a DC that accepts and never answers
// listed first, one `check --user` run connects to it once: the server
// checks mark it failed and the search and lookup go to the live DC.
// Before, the lookup dialled the hung DC again (two accepts, twice the
// connect timeout).
func TestCheckHungDCPaidOnce(t *testing.T) {
	ad := samba(t)
	hung, accepts := countingHangListener(t)
	code, out := runADCheck(t, ad, adCheck{urls: []string{"ldaps://" + hung, ad["CLAIMGATE_TEST_LDAP_URL"]}}, "--user", "alice")
	if code != 1 { // a configured DC is down: check says so
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(out, "directory server ldaps://"+hung+": CANNOT CONNECT") || !strings.Contains(out, "\nuser alice found in ") {
		t.Error("want the hung DC reported and alice found on the live one")
	}
	if n := accepts.Load(); n != 1 {
		t.Errorf("the hung DC was connected to %d times in one check run, want 1", n)
	}
}

// countingHangListener accepts connections, never answers, and counts
// the accepts.
func countingHangListener(t *testing.T) (string, *atomic.Int64) {
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
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String(), &n
}
