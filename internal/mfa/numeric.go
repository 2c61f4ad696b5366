package mfa

import (
	"crypto/subtle"
	"fmt"
	"io"
)

// NewNumericCode returns a code of digits decimal digits (4 to 10) drawn
// uniformly from r (nil means crypto/rand), for codes sent by SMS. Each
// digit comes from rejection sampling, so there is no modulo bias.
func NewNumericCode(r io.Reader, digits int) (string, error) {
	if digits < 4 || digits > 10 {
		return "", fmt.Errorf("mfa: numeric code length %d out of range 4..10", digits)
	}
	return randomFrom(randOrDefault(r), "0123456789", digits)
}

// CheckNumericCode reports whether typed (spaces and dashes allowed) equals
// want, an SMS code from NewNumericCode, in constant time for a given
// length. Expiry and attempt limits are the caller's.
func CheckNumericCode(want, typed string) bool {
	got, ok := normalizeCode(typed, len(want))
	return subtle.ConstantTimeCompare(got, []byte(want)) == 1 && ok && want != ""
}
