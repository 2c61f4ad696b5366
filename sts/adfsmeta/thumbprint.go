package adfsmeta

import (
	"crypto/subtle"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/claimgate/claimgate/certs"
)

// NormalizeThumbprint strips colons and spaces, upper-cases, and checks that the
// result is a SHA-1 (40) or SHA-256 (64) hex thumbprint.
func NormalizeThumbprint(s string) (string, error) {
	t := strings.ToUpper(strings.NewReplacer(":", "", " ", "", "\u200e", "").Replace(strings.TrimSpace(s)))
	if len(t) != 40 && len(t) != 64 {
		return "", fmt.Errorf("thumbprint %q: want 40 (SHA-1) or 64 (SHA-256) hex digits, got %d", s, len(t))
	}
	if _, err := hex.DecodeString(t); err != nil {
		return "", fmt.Errorf("thumbprint %q: not hexadecimal", s)
	}
	return t, nil
}

// pinned reports whether cert matches one of the normalised pins. The comparison
// is constant-time per pin out of habit: thumbprints are public, but the project
// rule is that no trust decision uses an early-exit compare.
func pinned(cert *x509.Certificate, pins []string) bool {
	s1, s256 := certs.ThumbprintSHA1(cert), certs.ThumbprintSHA256(cert)
	ok := 0
	for _, p := range pins {
		want := s1
		if len(p) == 64 {
			want = s256
		}
		ok |= subtle.ConstantTimeCompare([]byte(p), []byte(want))
	}
	return ok == 1
}

func trusted(cert *x509.Certificate, roots []*x509.Certificate) bool {
	for _, r := range roots {
		if r != nil && r.Equal(cert) {
			return true
		}
	}
	return false
}
