package mfa

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"

	"golang.org/x/crypto/argon2"
)

// AppPasswordHasher checks a password against all of one user's app
// passwords with a single argon2id derivation. All app passwords of a user
// share one salt, derived from the user name, so one derived key can be
// compared with every stored hash: a wrong password costs the same whether
// the user holds none, one or five app passwords, and the time of an
// answer does not tell how many there are.
//
// Sharing a salt within one user costs nothing here: app passwords are
// random (about 79 bits), so there is no dictionary to precompute, and an
// attacker testing a guess against one of a user's hashes already tests it
// against all of them. Salts still differ between users.
type AppPasswordHasher struct {
	user string
	salt []byte
}

// ForUser returns the hasher of user's app passwords (the store's user key;
// case does not matter).
func ForUser(user string) AppPasswordHasher {
	h := sha256.Sum256([]byte("claimgate/app-password-salt/v1\x00" + strings.ToLower(user)))
	return AppPasswordHasher{user: user, salt: h[:argon2SaltLen]}
}

// Hash returns the argon2id PHC string of the normalised app password pw,
// with the package parameters and the user's salt.
func (a AppPasswordHasher) Hash(pw string) string {
	return encodeArgon2(argon2Hash{m: Argon2Memory, t: Argon2Time, p: Argon2Threads, salt: a.salt}, pw)
}

// Derived is pw's argon2id key under the user's salt, computed once.
type Derived struct {
	salt []byte
	key  []byte
}

// Derive runs the one argon2id derivation of a check.
func (a AppPasswordHasher) Derive(pw string) Derived {
	return Derived{salt: a.salt, key: argon2.IDKey([]byte(pw), a.salt, Argon2Time, Argon2Memory, Argon2Threads, argon2KeyLen)}
}

// Matches compares the derived key with encoded in constant time. ok is
// false when encoded was not made by Hash for this user with today's
// parameters (an older hash): the caller must then fall back to
// CheckPassword for it.
func (d Derived) Matches(encoded string) (match, ok bool) {
	h, err := parseArgon2(encoded)
	if err != nil || h.m != Argon2Memory || h.t != Argon2Time || h.p != Argon2Threads ||
		len(h.key) != argon2KeyLen || subtle.ConstantTimeCompare(h.salt, d.salt) != 1 {
		return false, false
	}
	return subtle.ConstantTimeCompare(h.key, d.key) == 1, true
}
