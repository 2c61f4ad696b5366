package mfa

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Argon2id parameters for new hashes: OWASP's Password Storage Cheat Sheet
// minimum configuration for argon2id (m=19456 KiB i.e. 19 MiB, t=2, p=1),
// a 16-byte salt and a 32-byte key. They cost roughly 20-40 ms per check on
// one core (see BenchmarkHashPassword), which bounds online guessing
// without letting a burst of sign-ins exhaust memory.
const (
	Argon2Memory  = 19456
	Argon2Time    = 2
	Argon2Threads = 1
	argon2SaltLen = 16
	argon2KeyLen  = 32
)

// Limits on hashes we accept to check, so a hand-edited users file cannot
// make a single sign-in take minutes or gigabytes.
const (
	maxArgon2Memory = 1 << 20 // KiB = 1 GiB
	maxArgon2Time   = 20
	maxBcryptCost   = 16
)

// errHash is returned for any hash CheckPassword does not understand. It
// never contains the hash: a log line must not carry it.
var errHash = errors.New("mfa: unrecognised password hash (want $argon2id$ PHC string or bcrypt $2a$/$2b$/$2y$)")

// appAlphabet has no look-alikes (0/o, 1/l/i), so a password shown once
// can be typed on a phone without doubt. 31 symbols, 16 of them: ~79 bits.
const appAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// NewAppPassword returns a fresh app-specific password shown to the user
// once, as xxxx-xxxx-xxxx-xxxx. Store HashPassword(NormalizeAppPassword(p)).
func NewAppPassword(r io.Reader) (string, error) {
	s, err := randomFrom(randOrDefault(r), appAlphabet, 16)
	if err != nil {
		return "", err
	}
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16], nil
}

// NormalizeAppPassword removes the separators and case a user may add when
// typing an app password, so "ABCD efgh-..." matches what was hashed.
func NormalizeAppPassword(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\t':
			return -1
		}
		return r
	}, strings.ToLower(s))
}

// randomFrom draws n symbols uniformly from alphabet by rejection sampling
// (no modulo bias).
func randomFrom(r io.Reader, alphabet string, n int) (string, error) {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n*2)
	for len(out) < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("mfa: reading randomness: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}

// HashPassword returns the argon2id PHC string of pw with the package
// parameters and a salt from r (nil means crypto/rand):
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>, both unpadded standard Base64.
func HashPassword(pw string, r io.Reader) (string, error) {
	salt := make([]byte, argon2SaltLen)
	if _, err := io.ReadFull(randOrDefault(r), salt); err != nil {
		return "", fmt.Errorf("mfa: reading randomness: %w", err)
	}
	return encodeArgon2(argon2Hash{m: Argon2Memory, t: Argon2Time, p: Argon2Threads, salt: salt}, pw), nil
}

type argon2Hash struct {
	m, t uint32
	p    uint8
	salt []byte
	key  []byte
}

func encodeArgon2(h argon2Hash, pw string) string {
	key := argon2.IDKey([]byte(pw), h.salt, h.t, h.m, h.p, argon2KeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.m, h.t, h.p,
		enc.EncodeToString(h.salt), enc.EncodeToString(key))
}

func parseArgon2(s string) (argon2Hash, error) {
	var h argon2Hash
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return h, errHash
	}
	var m, t, p uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || n != 3 ||
		fmt.Sprintf("m=%d,t=%d,p=%d", m, t, p) != parts[3] {
		return h, errHash
	}
	if m < 8*p || m > maxArgon2Memory || t < 1 || t > maxArgon2Time || p < 1 || p > 255 {
		return h, errHash
	}
	salt, err1 := base64.RawStdEncoding.Strict().DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.Strict().DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
		return h, errHash
	}
	return argon2Hash{m: m, t: t, p: uint8(p), salt: salt, key: key}, nil
}

func isBcrypt(s string) bool {
	return strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$")
}

// CheckHashFormat reports whether CheckPassword understands encoded and
// its cost is within limits; for validating a users file at load.
func CheckHashFormat(encoded string) error {
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"):
		_, err := parseArgon2(encoded)
		return err
	case isBcrypt(encoded):
		c, err := bcrypt.Cost([]byte(encoded))
		if err != nil || c > maxBcryptCost {
			return errHash
		}
		return nil
	}
	return errHash
}

// CheckPassword reports whether pw matches encoded, an argon2id PHC string
// or a bcrypt hash, comparing in constant time. A mismatch is (false, nil);
// an error means the hash itself is unusable.
func CheckPassword(encoded, pw string) (bool, error) {
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"):
		h, err := parseArgon2(encoded)
		if err != nil {
			return false, err
		}
		got := argon2.IDKey([]byte(pw), h.salt, h.t, h.m, h.p, uint32(len(h.key)))
		return subtle.ConstantTimeCompare(got, h.key) == 1, nil
	case isBcrypt(encoded):
		if err := CheckHashFormat(encoded); err != nil {
			return false, err
		}
		err := bcrypt.CompareHashAndPassword([]byte(encoded), []byte(pw))
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword), errors.Is(err, bcrypt.ErrPasswordTooLong):
			return false, nil
		}
		return false, errHash
	}
	return false, errHash
}

// DummyHashLike returns a hash of a fixed non-password made with the same
// algorithm and cost parameters as encoded. Checking a password for an
// unknown user against it takes as long as for a real one, so response
// time does not tell which user names exist.
func DummyHashLike(encoded string) (string, error) {
	const dummy = "claimgate-dummy-password-never-valid"
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"):
		h, err := parseArgon2(encoded)
		if err != nil {
			return "", err
		}
		// Salt and key length barely change the cost; memory and passes do.
		h.salt = []byte("claimgate-dummy!")
		return encodeArgon2(h, dummy), nil
	case isBcrypt(encoded):
		c, err := bcrypt.Cost([]byte(encoded))
		if err != nil || c > maxBcryptCost {
			return "", errHash
		}
		b, err := bcrypt.GenerateFromPassword([]byte(dummy), c)
		if err != nil {
			return "", fmt.Errorf("mfa: dummy hash: %w", err)
		}
		return string(b), nil
	}
	return "", errHash
}
