package mfa

import "testing"

// TestAppPasswordHasher: hashes are ordinary argon2id PHC strings (so
// CheckPassword reads them), one user's share a salt, users' salts differ,
// and Derive+Matches agrees with CheckPassword.
func TestAppPasswordHasher(t *testing.T) {
	a, b := ForUser("alice"), ForUser("bob")
	h1, h2 := a.Hash("firstsecretxxxxx"), a.Hash("secondsecretxxxx")
	if ok, err := CheckPassword(h1, "firstsecretxxxxx"); !ok || err != nil {
		t.Fatalf("CheckPassword of a per-user hash: %v %v", ok, err)
	}
	pa, _ := parseArgon2(h1)
	pb, _ := parseArgon2(b.Hash("firstsecretxxxxx"))
	p2, _ := parseArgon2(h2)
	if string(pa.salt) != string(p2.salt) || string(pa.salt) == string(pb.salt) {
		t.Fatal("salts: want shared within a user, different between users")
	}
	if ForUser("ALICE").Hash("firstsecretxxxxx") != h1 {
		t.Error("the user's case changed the salt")
	}
	d := a.Derive("secondsecretxxxx")
	if m, ok := d.Matches(h1); m || !ok {
		t.Errorf("Matches(other password) = %v %v", m, ok)
	}
	if m, ok := d.Matches(h2); !m || !ok {
		t.Errorf("Matches(same password) = %v %v", m, ok)
	}
	if _, ok := d.Matches(b.Hash("secondsecretxxxx")); ok {
		t.Error("another user's hash was taken as comparable")
	}
	legacy, _ := HashPassword("secondsecretxxxx", nil)
	if _, ok := d.Matches(legacy); ok {
		t.Error("a random-salt hash was taken as comparable")
	}
}
