package userfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/mfa"
)

const (
	domainSID = "S-1-5-21-1004336348-1177238915-682003330"
	totpB32   = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
)

// testFile builds a users file with an argon2id user, a bcrypt user and a
// disabled user, writes it with Write and returns its path.
func testFile(t testing.TB) string {
	t.Helper()
	argon, err := mfa.HashPassword("alice-pw", nil)
	if err != nil {
		t.Fatal(err)
	}
	bc, err := bcrypt.GenerateFromPassword([]byte("bob-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	carol, _ := mfa.HashPassword("carol-pw", nil)
	f := &File{
		Domain: "EXAMPLE",
		Users: []User{
			{Username: "alice", UPN: "alice@example.test", DisplayName: "Alice Example", Email: "alice@example.test",
				Mobile: "+15550100", SID: domainSID + "-1105", PrimaryGroupSID: domainSID + "-513",
				GroupSIDs: []string{domainSID + "-513", domainSID + "-1110"}, PasswordHash: argon, TOTPSecret: totpB32},
			{Username: "bob", UPN: "bob@corp.example.test", SID: domainSID + "-1106", PasswordHash: string(bc)},
			{Username: "carol", UPN: "carol@example.test", SID: domainSID + "-1107", PasswordHash: carol, TOTPSecret: totpB32, Disabled: true},
		},
	}
	path := filepath.Join(t.TempDir(), "users.yaml")
	if err := Write(path, f); err != nil {
		t.Fatal(err)
	}
	return path
}

func load(t testing.TB) *Directory {
	t.Helper()
	d, err := Load(testFile(t))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func reason(err error) claims.Reason {
	r, _ := claims.IsRejected(err)
	return r
}

func TestAuthenticateLoginForms(t *testing.T) {
	d := load(t)
	ctx := context.Background()
	for _, name := range []string{"alice", "ALICE", " alice ", `EXAMPLE\alice`, `example\Alice`, "alice@example.test", "Alice@Example.TEST"} {
		id, err := d.Authenticate(ctx, name, "alice-pw")
		if err != nil {
			t.Errorf("%q: %v", name, err)
			continue
		}
		want := claims.Identity{
			Username: "alice", UPN: "alice@example.test", Domain: "EXAMPLE", DisplayName: "Alice Example",
			Email: "alice@example.test", Mobile: "+15550100", SID: domainSID + "-1105", PrimaryGroupSID: domainSID + "-513",
			GroupSIDs: []string{domainSID + "-513", domainSID + "-1110"},
		}
		if !reflect.DeepEqual(id, want) {
			t.Errorf("%q: identity %+v", name, id)
		}
		if id.WindowsAccountName() != `EXAMPLE\alice` {
			t.Errorf("windowsaccountname %q", id.WindowsAccountName())
		}
	}
	// bcrypt user, and a UPN suffix that differs from the domain.
	if id, err := d.Authenticate(ctx, "bob@corp.example.test", "bob-pw"); err != nil || id.Username != "bob" {
		t.Errorf("bob: %+v, %v", id, err)
	}
}

func TestAuthenticateRefusals(t *testing.T) {
	d := load(t)
	ctx := context.Background()
	cases := []struct {
		user, pw string
		want     claims.Reason
	}{
		{"alice", "wrong", claims.ReasonBadPassword},
		{"alice", "", claims.ReasonBadPassword},
		{"alice", "ALICE-PW", claims.ReasonBadPassword},
		{"bob", "alice-pw", claims.ReasonBadPassword},
		{"mallory", "alice-pw", claims.ReasonUnknownUser},
		{"", "x", claims.ReasonUnknownUser},
		{`OTHER\alice`, "alice-pw", claims.ReasonUnknownUser},
		{`EXAMPLE\`, "alice-pw", claims.ReasonUnknownUser},
		{"alice@other.test", "alice-pw", claims.ReasonUnknownUser},
		{"carol", "carol-pw", claims.ReasonDisabled},
		{"carol", "wrong", claims.ReasonBadPassword}, // disabled is not revealed without the password
	}
	for _, c := range cases {
		id, err := d.Authenticate(ctx, c.user, c.pw)
		if got := reason(err); got != c.want {
			t.Errorf("(%q, %q): reason %q (err %v), want %q", c.user, c.pw, got, err, c.want)
		}
		if id.Username != "" {
			t.Errorf("(%q, %q): identity returned with a refusal", c.user, c.pw)
		}
		if err != nil && strings.Contains(err.Error(), c.pw) && c.pw != "" {
			t.Errorf("error carries the password: %v", err)
		}
	}
}

func TestLookupAndTOTPSecret(t *testing.T) {
	d := load(t)
	ctx := context.Background()
	id, err := d.Lookup(ctx, `example\ALICE`)
	if err != nil || id.SID != domainSID+"-1105" {
		t.Errorf("Lookup = %+v, %v", id, err)
	}
	id.GroupSIDs[0] = "changed"
	if again, _ := d.Lookup(ctx, "alice"); again.GroupSIDs[0] != domainSID+"-513" {
		t.Error("caller changed the directory's group list")
	}
	if _, err := d.Lookup(ctx, "mallory"); reason(err) != claims.ReasonUnknownUser {
		t.Errorf("unknown: %v", err)
	}
	if _, err := d.Lookup(ctx, "carol@example.test"); reason(err) != claims.ReasonDisabled {
		t.Errorf("disabled: %v", err)
	}
	s, ok := d.TOTPSecret("alice@example.test")
	if !ok || string(s) != "12345678901234567890" {
		t.Errorf("TOTPSecret = %q, %v", s, ok)
	}
	s[0] = 'X'
	if s2, _ := d.TOTPSecret("alice"); s2[0] != '1' {
		t.Error("caller changed the stored secret")
	}
	for _, name := range []string{"bob", "carol", "mallory"} {
		if _, ok := d.TOTPSecret(name); ok {
			t.Errorf("TOTPSecret(%q) reported a secret", name)
		}
	}
}

func TestCancelledContextIsNotARejection(t *testing.T) {
	d := load(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := d.Authenticate(ctx, "alice", "alice-pw")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	if _, ok := claims.IsRejected(err); ok {
		t.Error("an infrastructure error must not be a rejection")
	}
}

// The unknown-user path must check a hash with the cost of the users'
// hashes; BenchmarkAuthenticate shows the resulting times side by side.
func TestDummyHashHasTheUsersCost(t *testing.T) {
	d := load(t) // two argon2id users, one bcrypt
	if got, want := hashShape(d.dummy), "$argon2id$v=19$m=19456,t=2,p=1"; got != want {
		t.Errorf("dummy shape %q, want %q", got, want)
	}
	b1, _ := bcrypt.GenerateFromPassword([]byte("a"), 5)
	b2, _ := bcrypt.GenerateFromPassword([]byte("b"), 5)
	a, _ := mfa.HashPassword("c", nil)
	d2, err := New(&File{Users: []User{{Username: "a", PasswordHash: string(b1)}, {Username: "b", PasswordHash: string(b2)}, {Username: "c", PasswordHash: a}}})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := bcrypt.Cost([]byte(d2.dummy)); err != nil || c != 5 {
		t.Errorf("bcrypt dummy cost %d, %v", c, err)
	}
}

func TestWriteModeAndRoundTrip(t *testing.T) {
	path := testFile(t)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %o, want 600", st.Mode().Perm())
	}
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Users) != 3 || f.Users[0].TOTPSecret != totpB32 || !f.Users[2].Disabled || f.Domain != "EXAMPLE" {
		t.Errorf("round trip = %+v", f)
	}
	// Overwrite: still 0600, and a broken file is refused before anything is written.
	os.Chmod(path, 0o644)
	if err := Write(path, f); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode after rewrite %o", st.Mode().Perm())
	}
	before, _ := os.ReadFile(path)
	f.Users[0].SID = "nope"
	err = Write(path, f)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.File != path || !strings.Contains(err.Error(), "users[0].sid") {
		t.Errorf("err = %v", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("invalid file was written")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	d := load(b)
	ctx := context.Background()
	for _, c := range []struct{ name, user, pw string }{
		{"known-right", "alice", "alice-pw"},
		{"known-wrong", "alice", "wrong"},
		{"unknown", "mallory", "wrong"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				d.Authenticate(ctx, c.user, c.pw)
			}
		})
	}
}
