package mfa

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"strings"
	"time"
)

// OATHParams are the parameters shared by a token and the verifier. The
// zero value means the common defaults: SHA1, 6 digits, 30 seconds.
type OATHParams struct {
	// Algorithm is "SHA1", "SHA256" or "SHA512" (case-insensitive); "" is SHA1.
	Algorithm string
	// Digits is 6 or 8; 0 is 6.
	Digits int
	// Period is the TOTP time step, 30 or 60 seconds; 0 is 30 seconds.
	// HOTP ignores it.
	Period time.Duration
}

// maxSkewSteps bounds the TOTP tolerance window so a misconfiguration
// cannot turn a 6-digit code into a guessable one.
const maxSkewSteps = 10

// maxLookAhead bounds the HOTP look-ahead and resync windows for the same reason.
const maxLookAhead = 1000

// Normalized returns p with defaults filled in, or an error naming the
// unsupported value.
func (p OATHParams) Normalized() (OATHParams, error) {
	switch strings.ToUpper(p.Algorithm) {
	case "", "SHA1", "SHA-1":
		p.Algorithm = "SHA1"
	case "SHA256", "SHA-256":
		p.Algorithm = "SHA256"
	case "SHA512", "SHA-512":
		p.Algorithm = "SHA512"
	default:
		return p, fmt.Errorf("mfa: unsupported OATH algorithm %q (want SHA1, SHA256 or SHA512)", p.Algorithm)
	}
	if p.Digits == 0 {
		p.Digits = 6
	}
	if p.Digits != 6 && p.Digits != 8 {
		return p, fmt.Errorf("mfa: unsupported OATH digits %d (want 6 or 8)", p.Digits)
	}
	if p.Period == 0 {
		p.Period = 30 * time.Second
	}
	if p.Period != 30*time.Second && p.Period != 60*time.Second {
		return p, fmt.Errorf("mfa: unsupported TOTP period %s (want 30s or 60s)", p.Period)
	}
	return p, nil
}

func (p OATHParams) hash() func() hash.Hash {
	switch p.Algorithm {
	case "SHA256":
		return sha256.New
	case "SHA512":
		return sha512.New
	}
	return sha1.New
}

var pow10 = [...]uint32{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000}

// HOTP returns the RFC 4226 one-time code for counter. It returns "" when p
// is not supported (see OATHParams.Normalized), which never verifies.
func HOTP(secret []byte, counter uint64, p OATHParams) string {
	p, err := p.Normalized()
	if err != nil {
		return ""
	}
	return hotp(secret, counter, p)
}

// hotp assumes p is normalized.
func hotp(secret []byte, counter uint64, p OATHParams) string {
	mac := hmac.New(p.hash(), secret)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac.Write(msg[:])
	return fmt.Sprintf("%0*d", p.Digits, truncate(mac.Sum(nil))%pow10[p.Digits])
}

// truncate is RFC 4226 section 5.3's dynamic truncation of an HMAC value.
func truncate(sum []byte) uint32 {
	off := sum[len(sum)-1] & 0x0f
	return binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
}

// TimeStep returns the RFC 6238 time step (T0 = 0) that t falls in.
func TimeStep(t time.Time, p OATHParams) int64 {
	p, err := p.Normalized()
	if err != nil {
		return -1
	}
	return timeStep(t, p)
}

func timeStep(t time.Time, p OATHParams) int64 {
	sec := int64(p.Period / time.Second)
	u := t.Unix()
	s := u / sec
	if u < 0 && u%sec != 0 {
		s-- // floor, so times before 1970 do not share step 0
	}
	return s
}

// TOTPAt returns the RFC 6238 code valid at t. It returns "" when p is not
// supported or t is before the Unix epoch.
func TOTPAt(secret []byte, t time.Time, p OATHParams) string {
	p, err := p.Normalized()
	if err != nil {
		return ""
	}
	s := timeStep(t, p)
	if s < 0 {
		return ""
	}
	return hotp(secret, uint64(s), p)
}

// VerifyTOTP checks code against the steps around now, skewSteps either
// side (a negative skewSteps means the default of 1; at most 10). Steps at
// or below lastUsedStep (-1 for none) are refused, so a code can be used
// once: the caller must store the returned step and pass it next time.
// Every candidate step is computed and compared in constant time.
func VerifyTOTP(secret []byte, code string, now time.Time, p OATHParams, skewSteps int, lastUsedStep int64) (step int64, ok bool) {
	p, err := p.Normalized()
	if err != nil {
		return -1, false
	}
	if skewSteps < 0 {
		skewSteps = 1
	}
	skewSteps = min(skewSteps, maxSkewSteps)
	c, valid := normalizeCode(code, p.Digits)
	cur := timeStep(now, p)
	found := int64(-1)
	for d := -int64(skewSteps); d <= int64(skewSteps); d++ {
		s := cur + d
		if s < 0 {
			continue
		}
		match := subtle.ConstantTimeCompare([]byte(hotp(secret, uint64(s), p)), c) == 1
		// Keep the lowest acceptable step; never stop early.
		if match && s > lastUsedStep && found < 0 {
			found = s
		}
	}
	if !valid || found < 0 {
		return -1, false
	}
	return found, true
}

// VerifyHOTP checks code against counters counter .. counter+lookAhead
// (counter is the next expected value; lookAhead at most 1000). On success
// it returns the counter to store: one past the matched one, so the code
// and every earlier one can never be used again.
func VerifyHOTP(secret []byte, code string, counter uint64, lookAhead int, p OATHParams) (newCounter uint64, ok bool) {
	p, err := p.Normalized()
	if err != nil {
		return counter, false
	}
	lookAhead = min(max(lookAhead, 0), maxLookAhead)
	c, valid := normalizeCode(code, p.Digits)
	var found uint64
	hit := false
	for i := 0; i <= lookAhead; i++ {
		n := counter + uint64(i)
		if n < counter {
			break // counter space exhausted
		}
		if subtle.ConstantTimeCompare([]byte(hotp(secret, n, p)), c) == 1 && !hit {
			found, hit = n, true
		}
	}
	if !valid || !hit {
		return counter, false
	}
	return found + 1, true
}

// ResyncHOTP finds two consecutive codes (code1 then code2) within window
// counters from counter, for a token that drifted beyond the normal
// look-ahead (RFC 4226 section 7.4). It returns the counter to store, one
// past code2's.
func ResyncHOTP(secret []byte, code1, code2 string, counter uint64, window int, p OATHParams) (newCounter uint64, ok bool) {
	p, err := p.Normalized()
	if err != nil {
		return counter, false
	}
	window = min(max(window, 0), maxLookAhead*100)
	c1, v1 := normalizeCode(code1, p.Digits)
	c2, v2 := normalizeCode(code2, p.Digits)
	if !v1 || !v2 {
		return counter, false
	}
	prev := hotp(secret, counter, p)
	for i := 0; i <= window; i++ {
		n := counter + uint64(i)
		if n+1 < counter {
			break
		}
		next := hotp(secret, n+1, p)
		if subtle.ConstantTimeCompare([]byte(prev), c1)&subtle.ConstantTimeCompare([]byte(next), c2) == 1 {
			return n + 2, true
		}
		prev = next
	}
	return counter, false
}

// errCode is what NormalizeCode reports for any unusable input.
var errCode = errors.New("mfa: code must be digits only")

// NormalizeCode returns code without spaces, tabs and dashes (users type
// "123 456"), or an error when the rest is not exactly `digits` ASCII digits.
func NormalizeCode(code string, digits int) (string, error) {
	c, ok := normalizeCode(code, digits)
	if !ok {
		return "", errCode
	}
	return string(c), nil
}

// normalizeCode strips separators and checks the result. The digit check
// visits every byte, so its time depends only on the input's length.
func normalizeCode(code string, digits int) ([]byte, bool) {
	if len(code) > 64 {
		return nil, false
	}
	out := make([]byte, 0, len(code))
	for i := 0; i < len(code); i++ {
		switch b := code[i]; b {
		case ' ', '\t', '\n', '\r', '-':
		default:
			out = append(out, b)
		}
	}
	bad := 0
	for _, b := range out {
		// Non-zero for anything but '0'..'9', without a branch on the value.
		bad |= int(uint8(b-'0') / 10)
	}
	return out, bad == 0 && len(out) == digits
}
