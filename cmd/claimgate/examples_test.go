package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/internal/app"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/userfile"
)

// An example under docs/examples is a starting point an administrator
// copies. Its comments say what to change: a value to replace is under (or
// beside) a comment saying "yours", a file to create under one saying
// "make it". exampleSetup is exactly that, written out for the test
// directory, and nothing else.
type exampleSetup struct {
	edits []exampleEdit
	files []exampleFile
	// user and password sign in at the first step: a user of the test
	// directory and their directory password.
	user, password string
}

// exampleEdit replaces the value old, which must occur exactly once, by
// new. doc must be in the comment that documents old: on old's line or in
// the nearest comment block above it.
type exampleEdit struct{ old, new, doc string }

// exampleFile is a file the example names at path (relative to it), made
// by make in the copy's directory as the "make it" comment above that line
// says; nil when another entry's make writes it too.
type exampleFile struct {
	path string
	make func(t *testing.T, dir, path string)
}

// exampleSetups has one entry per file under docs/examples; a new
// example fails TestDocsExamplesPassCheck until it has one. The doc
// strings point at the example's own comment lines.
func exampleSetups(t *testing.T, name string) exampleSetup {
	switch name {
	case "claimgate.yaml":
		pw := newPassword(t)
		return exampleSetup{
			// Nothing to replace for check: entity_id, base_url and the
			// relying party are only compared with what AD FS sends.
			files: []exampleFile{
				{"tls/sts.example.com.crt", certsNew("tls/sts.example.com.key")}, // "make it: the HTTPS certificate"
				{"tls/sts.example.com.key", nil},
				{"keys/token-signing.crt", certsNew("keys/token-signing.key")}, // "make it: claimgate certs new --cert keys/..."
				{"keys/token-signing.key", nil},
				{"users.yaml", usersFile("alice", pw)}, // "make it: the users"
				{"mfa.key", mfaKey},                    // "make it, and back it up: openssl rand -hex 32 > mfa.key"
			},
			user: "alice", password: pw,
		}
	case "claimgate-ldap.yaml":
		ad := samba(t)
		url := ad["CLAIMGATE_TEST_LDAP_URL"]
		return exampleSetup{
			edits: []exampleEdit{
				// "yours: your domain controllers": the test DC, once by
				// address and once by the name its certificate also carries.
				{"ldaps://dc1.example.com:636", url, "yours: your domain controllers"},
				{"ldaps://dc2.example.com:636", strings.Replace(url, "127.0.0.1", "localhost", 1), "yours: your domain controllers"},
				{"CN=svc-claimgate,OU=Service Accounts,DC=example,DC=com", ad["CLAIMGATE_TEST_LDAP_BIND_DN"], "yours: the service account"},
				{"base_dn: DC=example,DC=com", "base_dn: " + ad["CLAIMGATE_TEST_LDAP_BASE_DN"], "yours: where users are searched"},
				{"netbios_domain: EXAMPLE", "netbios_domain: " + ad["CLAIMGATE_TEST_LDAP_NETBIOS"], "pre-Windows 2000 domain name"},
			},
			files: []exampleFile{
				{"token-signing.crt", certsNew("token-signing.key")}, // "make it: claimgate certs new --cert token-signing.crt ..."
				{"token-signing.key", nil},
				{"example-root-ca.pem", copyOf(ad["CLAIMGATE_TEST_LDAP_CA_FILE"])},   // "make it: the CA that issued the DCs' certificates"
				{"ldap.pw", content(ad["CLAIMGATE_TEST_LDAP_BIND_PASSWORD"] + "\n")}, // "make it: the service account's password, alone in a file"
				{"mfa.key", mfaKey}, // "make it, and back it up"
			},
			user: "alice", password: ad["CLAIMGATE_TEST_LDAP_USER_PASSWORD"],
		}
	}
	t.Fatalf("docs/examples/%s has no entry in exampleSetups: write down the substitutions its comments document", name)
	return exampleSetup{}
}

// TestDocsExamplesPassCheck copies every example under docs/examples,
// applies only the changes its comments document (exampleSetups), and
// runs `claimgate check --config FILE --user alice` against the test
// directory (the users file the example names, or the Samba AD DC), with
// no environment variables: secrets come from {file:} as the admin guide
// recommends. Each must exit 0. Then the copied configuration must accept
// the user's directory password at the first step: its app-password
// policy lets the directory password through, and the directory it
// configures accepts that password.
//
// Before, the AD example took its secrets from {env:}, had no comment
// saying what to change, and set app_passwords.policy: app_password_only,
// so a copy refused every AD password; the users-file example named a
// .pfx, a logo, an SMS gateway and a metadata URL at example.com hosts.
func TestDocsExamplesPassCheck(t *testing.T) {
	files, err := filepath.Glob("../../docs/examples/*.yaml")
	if err != nil || len(files) < 2 {
		t.Fatalf("examples: %v %v", files, err)
	}
	noEnv := func(string) string { return "" }
	for _, src := range files {
		name := filepath.Base(src)
		t.Run(name, func(t *testing.T) {
			setup := exampleSetups(t, name)
			text, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			cfg := filepath.Join(dir, "claimgate.yaml")
			if err := os.WriteFile(cfg, []byte(applyExampleEdits(t, string(text), setup.edits)), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, f := range setup.files {
				if !madeAsDocumented(string(text), f.path) {
					t.Errorf("%s is not under a \"make it\" comment in %s", f.path, name)
				}
				if f.make != nil {
					p := filepath.Join(dir, filepath.FromSlash(f.path))
					if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
						t.Fatal(err)
					}
					f.make(t, dir, p)
				}
			}

			code, out, errOut := runCmd(t, "", noEnv, "check", "--config", cfg, "--user", setup.user)
			t.Logf("claimgate check --config %s --user %s:\n%s%s", name, setup.user, out, errOut)
			if code != 0 {
				t.Fatalf("check of the copied %s exited %d", name, code)
			}

			c, err := config.Load(cfg, noEnv)
			if err != nil {
				t.Fatal(err)
			}
			// login.Flow tries the directory password only when the policy
			// is not app_password_only (internal/login/password.go).
			if p := c.MFA.AppPasswords.Policy; p != config.DomainPasswordAllowed {
				t.Errorf("mfa.app_passwords.policy is %s: a copy of %s refuses every directory password", p, name)
			}
			d, _, closeDir, err := app.Directory(c, newLogger(&env{stderr: os.Stderr}, config.Logging{Level: "error", Format: "text"}))
			if err != nil {
				t.Fatal(err)
			}
			defer closeDir()
			if _, err := d.Authenticate(context.Background(), setup.user, setup.password); err != nil {
				t.Errorf("the copied %s refuses %s's directory password: %v", name, setup.user, err)
			}
		})
	}
}

// applyExampleEdits makes each edit, checking that it is documented.
func applyExampleEdits(t *testing.T, text string, edits []exampleEdit) string {
	t.Helper()
	lines := strings.Split(text, "\n")
	for _, e := range edits {
		if n := strings.Count(text, e.old); n != 1 {
			t.Fatalf("%q occurs %d times in the example, want once", e.old, n)
		}
		for i, l := range lines {
			if strings.Contains(l, e.old) && !strings.Contains(commentFor(lines, i), e.doc) {
				t.Errorf("replacing %q is not documented: its comment lacks %q", e.old, e.doc)
			}
		}
		text = strings.Replace(text, e.old, e.new, 1)
	}
	return text
}

// commentFor is the comment documenting lines[i]: its own trailing
// comment and the nearest block of comment lines above it.
func commentFor(lines []string, i int) string {
	var b strings.Builder
	if _, c, ok := strings.Cut(lines[i], " #"); ok {
		b.WriteString(c + "\n")
	}
	j := i - 1
	for j >= 0 && !strings.HasPrefix(strings.TrimSpace(lines[j]), "#") {
		j--
	}
	for ; j >= 0 && strings.HasPrefix(strings.TrimSpace(lines[j]), "#"); j-- {
		b.WriteString(lines[j] + "\n")
	}
	return b.String()
}

// madeAsDocumented reports whether the example names path in a value
// whose comment says "make it".
func madeAsDocumented(text, path string) bool {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") && strings.Contains(l, path) && strings.Contains(commentFor(lines, i), "make it") {
			return true
		}
	}
	return false
}

// certsNew runs `claimgate certs new --cert PATH --key KEY`, as the
// example's comment says; key is relative to the example.
func certsNew(key string) func(t *testing.T, dir, path string) {
	return func(t *testing.T, dir, path string) {
		if code, _, errOut := runCmd(t, "", nil, "certs", "new", "--cert", path, "--key", filepath.Join(dir, key)); code != 0 {
			t.Fatalf("certs new: %d %s", code, errOut)
		}
	}
}

// content writes s, mode 0600.
func content(s string) func(t *testing.T, dir, path string) {
	return func(t *testing.T, _, path string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// copyOf copies src, e.g. the test DC's CA certificate.
func copyOf(src string) func(t *testing.T, dir, path string) {
	return func(t *testing.T, dir, path string) {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		content(string(b))(t, dir, path)
	}
}

// mfaKey is `openssl rand -hex 32 > mfa.key`.
func mfaKey(t *testing.T, dir, path string) {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	content(hex.EncodeToString(k)+"\n")(t, dir, path)
}

// usersFile writes a users file with one user and the password's hash,
// as claimgate hash-password makes it.
func usersFile(user, password string) func(t *testing.T, dir, path string) {
	return func(t *testing.T, _, path string) {
		h, err := mfa.HashPassword(password, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		f := &userfile.File{Domain: "EXAMPLE", Users: []userfile.User{{Username: user, UPN: user + "@example.com",
			SID: "S-1-5-21-1244064708-1559740698-2793246312-1643", PasswordHash: h}}}
		if err := userfile.Write(path, f); err != nil {
			t.Fatal(err)
		}
	}
}
