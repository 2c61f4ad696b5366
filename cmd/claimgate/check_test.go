package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/mfa"
)

// TestCheckUserRefusesUnsendableUsersFileValue: a users file whose e-mail
// holds U+FFFE (written with YAML's \u escape) makes `check --user` fail
// and name the field and the character. Before, check printed the claims
// and exited 0, and the user's sign-in then ended in a 500.
func TestCheckUserRefusesUnsendableUsersFileValue(t *testing.T) {
	dir := t.TempDir()
	crt, key := filepath.Join(dir, "s.crt"), filepath.Join(dir, "s.key")
	if code, _, errOut := runCmd(t, "", nil, "certs", "new", "--cert", crt, "--key", key); code != 0 {
		t.Fatalf("certs new: %d %s", code, errOut)
	}
	cfg := writeConfig(t, dir, crt, key)
	h, err := mfa.HashPassword("pw", nil)
	if err != nil {
		t.Fatal(err)
	}
	users := "users:\n  - username: alice\n    email: \"alice\\uFFFE@example.test\"\n    password_hash: \"" + h + "\"\n"
	if err := os.WriteFile(filepath.Join(dir, "users.yaml"), []byte(users), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, "", nil, "check", "--config", cfg, "--user", "alice")
	if code == 0 {
		t.Fatalf("check exited 0 for a value no token can carry:\n%s%s", out, errOut)
	}
	if want := "users[0].email: character U+FFFE (a Unicode non-character) at byte 5"; !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s%s", want, out, errOut)
	}
}

// TestPrintClaimsNamesUnsendableValues: for a directory value no token
// can carry (AD can hold one; the users file refuses it at load), check
// --user names the claim, the value's position and the character, shows
// the value quoted, and counts it so check exits non-zero. Clean values
// print as before.
func TestPrintClaimsNamesUnsendableValues(t *testing.T) {
	const dept = "http://example.test/claims/department"
	id := claims.Identity{Username: "alice", Domain: "EXAMPLE", UPN: "alice@example.test", Email: "alice\x01@example.test",
		Extra: map[string][]string{dept: {"Sales", "R&D\uFFFE"}}}
	var b strings.Builder
	n := printClaims(&b, id, []string{claims.UPN, claims.EmailAddress, dept})
	out := b.String()
	if n != 2 {
		t.Errorf("%d unsendable values counted, want 2:\n%s", n, out)
	}
	for _, want := range []string{
		"  " + claims.NameIdentifier + " = alice@example.test\n",
		"  " + claims.UPN + " = alice@example.test\n",
		"  " + claims.EmailAddress + " = \"alice\\x01@example.test\"\n    CANNOT BE SENT: value 1: character U+0001 (a control character) at byte 5;",
		"  " + dept + " = Sales, \"R&D\\ufffe\"\n    CANNOT BE SENT: value 2: character U+FFFE (a Unicode non-character) at byte 3;",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsAny(out, "\x01\uFFFE") {
		t.Errorf("a raw unsendable character reached the terminal:\n%q", out)
	}
	b.Reset()
	if n := printClaims(&b, claims.Identity{Username: "bob", Email: "bob@example.test"}, []string{claims.EmailAddress}); n != 0 || strings.Contains(b.String(), "CANNOT") {
		t.Errorf("clean identity: %d problems:\n%s", n, b.String())
	}
}
