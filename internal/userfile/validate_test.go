package userfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadListsEveryProblem(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "invalid.yaml"))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a ValidationError", err)
	}
	want := []string{
		"domain: not a NetBIOS domain name",
		`users[1].username: "ALICE" already used by users[0]`,
		`users[1].upn: "Alice@Example.Test" already used by users[0]`,
		"users[1].sid: already used by users[0]",
		"users[1].password_hash: not an argon2id PHC string or bcrypt hash",
		"users[2].username: must be",
		"users[2].upn: not a user principal name",
		"users[2].email: not an e-mail address",
		"users[2].mobile: not a phone number",
		"users[2].sid: not a SID",
		"users[2].primary_group_sid: not a SID",
		"users[2].group_sids[1]: duplicate of group_sids[0]",
		"users[2].group_sids[2]: not a SID",
		"users[2].password_hash: not an argon2id PHC string",
		"users[2].totp_secret: 10 bytes; at least 16 are required",
		"users[3].username: required",
		"users[3].password_hash: required",
		"users[3].totp_secret: not Base32",
	}
	if len(ve.Problems) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(ve.Problems), len(want), strings.Join(ve.Problems, "\n"))
	}
	for i := range min(len(want), len(ve.Problems)) {
		if !strings.HasPrefix(ve.Problems[i], want[i]) {
			t.Errorf("problem %d = %q, want prefix %q", i, ve.Problems[i], want[i])
		}
	}
	if !strings.Contains(err.Error(), "invalid.yaml") {
		t.Errorf("error does not name the file: %v", err)
	}
	// The hash values themselves are not repeated in the report.
	if strings.Contains(err.Error(), "$2b$04$") {
		t.Error("error carries a password hash")
	}
}

func TestLoadStrictDecoding(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]struct{ body, want string }{
		"unknown key":   {"users:\n  - username: a\n    password: x\n", "field password not found"},
		"unknown top":   {"domian: X\nusers: []\n", "field domian not found"},
		"wrong type":    {"users:\n  - username: [a]\n", "cannot unmarshal"},
		"empty":         {"", "file is empty"},
		"no users":      {"domain: EXAMPLE\n", "users: at least one user is required"},
		"two documents": {"users: []\n---\nusers: []\n", "more than one YAML document"},
		"syntax":        {"users: [\n", "yaml"},
	}
	for name, c := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yaml")
		if err := os.WriteFile(path, []byte(c.body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("missing file loaded")
	}
}

func TestValidSID(t *testing.T) {
	for s, want := range map[string]bool{
		"S-1-5-21-1004336348-1177238915-682003330-512": true,
		"S-1-5-32-544":            true,
		"S-1-1-0":                 true,
		"S-1-0x000000000005-21-1": true,
		"S-1-5-21-4294967295":     true,
		"S-1-5-21-4294967296":     false, // sub-authority over 32 bits
		"S-1-281474976710656-1":   false, // authority over 48 bits
		"S-1-5":                   false,
		"S-2-5-21-1":              false,
		"s-1-5-21-1":              false,
		"S-1-5-21-":               false,
		"S-1-5-21-1 ":             false,
		"S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16": false, // 16 sub-authorities
		"S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15":    true,
		"": false,
	} {
		if got := ValidSID(s); got != want {
			t.Errorf("ValidSID(%q) = %v, want %v", s, got, want)
		}
	}
}
