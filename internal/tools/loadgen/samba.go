package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf16"

	"github.com/go-ldap/ldap/v3"
)

// sambaEnv is the env file scripts/samba/setup.sh writes.
type sambaEnv map[string]string

var sambaKeys = []string{"CLAIMGATE_TEST_LDAP_URL", "CLAIMGATE_TEST_LDAP_CA_FILE", "CLAIMGATE_TEST_LDAP_BIND_DN",
	"CLAIMGATE_TEST_LDAP_BIND_PASSWORD", "CLAIMGATE_TEST_LDAP_BASE_DN", "CLAIMGATE_TEST_LDAP_NETBIOS",
	"CLAIMGATE_TEST_LDAP_USER_PASSWORD", "CLAIMGATE_SAMBA_SMBCONF"}

func readSambaEnv(path string) (sambaEnv, error) {
	if path == "" {
		return nil, fmt.Errorf("CLAIMGATE_SAMBA_ENV is not set: start the test DC with `sudo scripts/samba/setup.sh` and point it at the env file it prints")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("CLAIMGATE_SAMBA_ENV: %w", err)
	}
	env := sambaEnv{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			env[k] = v
		}
	}
	for _, k := range sambaKeys {
		if env[k] == "" {
			return nil, fmt.Errorf("%s: %s missing; rerun scripts/samba/setup.sh", path, k)
		}
	}
	return env, nil
}

func (e sambaEnv) tlsConfig() (*tls.Config, error) {
	pem, err := os.ReadFile(e["CLAIMGATE_TEST_LDAP_CA_FILE"])
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no certificate", e["CLAIMGATE_TEST_LDAP_CA_FILE"])
	}
	return &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, nil
}

// dial opens an LDAPS connection to the DC, bound as the service account
// when service is true.
func (e sambaEnv) dial(service bool) (*ldap.Conn, error) {
	tc, err := e.tlsConfig()
	if err != nil {
		return nil, err
	}
	c, err := ldap.DialURL(e["CLAIMGATE_TEST_LDAP_URL"], ldap.DialWithTLSConfig(tc))
	if err != nil {
		return nil, err
	}
	if service {
		if err := c.Bind(e["CLAIMGATE_TEST_LDAP_BIND_DN"], e["CLAIMGATE_TEST_LDAP_BIND_PASSWORD"]); err != nil {
			c.Close()
			return nil, fmt.Errorf("service bind: %w", err)
		}
	}
	return c, nil
}

func (e sambaEnv) userDN(name string) string {
	return "CN=" + name + ",CN=Users," + e["CLAIMGATE_TEST_LDAP_BASE_DN"]
}

// ensureUsers adds the users the DC does not have yet, with the test
// password, as members of "VPN Users" (itself nested in "Remote Access"),
// so tokenGroups has real, nested work to do. ldbadd writes the DC's own
// database, as scripts/samba/setup.sh does, so it needs root there.
func (e sambaEnv) ensureUsers(ctx context.Context, names []string) (added int, err error) {
	c, err := e.dial(true)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	res, err := c.Search(ldap.NewSearchRequest(e["CLAIMGATE_TEST_LDAP_BASE_DN"], ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		0, 0, false, "(&(objectClass=user)(|(sAMAccountName=load*)(sAMAccountName=spray*)))", []string{"sAMAccountName"}, nil))
	if err != nil {
		return 0, fmt.Errorf("search load users: %w", err)
	}
	have := map[string]bool{}
	for _, en := range res.Entries {
		have[strings.ToLower(en.GetAttributeValue("sAMAccountName"))] = true
	}
	pw := utf16.Encode([]rune(`"` + e["CLAIMGATE_TEST_LDAP_USER_PASSWORD"] + `"`))
	pwb := make([]byte, 0, 2*len(pw))
	for _, r := range pw {
		pwb = append(pwb, byte(r), byte(r>>8))
	}
	var ldif, members bytes.Buffer
	for _, n := range names {
		if have[strings.ToLower(n)] {
			continue
		}
		added++
		fmt.Fprintf(&ldif, "dn: %s\nobjectClass: user\nsAMAccountName: %s\nuserPrincipalName: %s@%s\n"+
			"givenName: Load\nsn: %s\nmail: %s@example.test\nuserAccountControl: 512\nunicodePwd:: %s\n\n",
			e.userDN(n), n, n, strings.ToLower(dnsDomain(e["CLAIMGATE_TEST_LDAP_BASE_DN"])), n, n,
			base64.StdEncoding.EncodeToString(pwb))
		fmt.Fprintf(&members, "member: %s\n", e.userDN(n))
	}
	if added == 0 {
		return 0, nil
	}
	sam := filepath.Join(e.privateDir(), "sam.ldb")
	if err := ldbRun(ctx, "ldbadd", sam, ldif.String()); err != nil {
		return 0, err
	}
	mod := fmt.Sprintf("dn: CN=VPN Users,CN=Users,%s\nchangetype: modify\nadd: member\n%s",
		e["CLAIMGATE_TEST_LDAP_BASE_DN"], members.String())
	return added, ldbRun(ctx, "ldbmodify", sam, mod)
}

// unlock clears the DC's own lockout of the accounts (lockoutTime 0, as
// AD's "unlock account" does; it also resets badPwdCount). The shared test
// domain locks an account after 5 bad passwords for a long time, so a
// spray run would otherwise leave its victims locked for the next run,
// and the next run would measure the DC refusing them instead of binds.
func (e sambaEnv) unlock(ctx context.Context, names []string) error {
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "dn: %s\nchangetype: modify\nreplace: lockoutTime\nlockoutTime: 0\n\n", e.userDN(n))
	}
	return ldbRun(ctx, "ldbmodify", filepath.Join(e.privateDir(), "sam.ldb"), b.String())
}

func ldbRun(ctx context.Context, tool, sam, ldif string) error {
	cmd := exec.CommandContext(ctx, tool, "-H", sam)
	cmd.Stdin = strings.NewReader(ldif)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s -H %s (needs root on the DC host): %v\n%s", tool, sam, err, out)
	}
	return nil
}

// dnsDomain turns DC=example,DC=test into example.test.
func dnsDomain(base string) string {
	var parts []string
	for _, rdn := range strings.Split(base, ",") {
		if k, v, ok := strings.Cut(rdn, "="); ok && strings.EqualFold(strings.TrimSpace(k), "DC") {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, ".")
}

var smbOption = regexp.MustCompile(`(?m)^\s*(private dir|pid directory)\s*=\s*(.+?)\s*$`)

func (e sambaEnv) smbConf(key string) string {
	b, err := os.ReadFile(e["CLAIMGATE_SAMBA_SMBCONF"])
	if err != nil {
		return ""
	}
	for _, m := range smbOption.FindAllStringSubmatch(string(b), -1) {
		if m[1] == key {
			return m[2]
		}
	}
	return ""
}

func (e sambaEnv) privateDir() string { return e.smbConf("private dir") }

// samba is the pid of the DC's root process, from its pid file.
func (e sambaEnv) samba() (int, error) {
	path := filepath.Join(e.smbConf("pid directory"), "samba.pid")
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("samba pid file: %w", err)
	}
	var pid int
	if _, err := fmt.Sscanf(strings.TrimSpace(string(b)), "%d", &pid); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return pid, nil
}
