package mfa

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// DefaultSecretSize is the secret length NewSecret uses when asked for 0:
// 160 bits, as RFC 4226 section 4 recommends.
const DefaultSecretSize = 20

// MinSecretSize is the shortest secret NewSecret makes: RFC 4226 R6 requires 128 bits.
const MinSecretSize = 16

// randOrDefault returns r, or crypto/rand when r is nil.
func randOrDefault(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}

// NewSecret returns n random bytes from r (nil means crypto/rand) for a
// TOTP or HOTP token. n = 0 means DefaultSecretSize.
func NewSecret(r io.Reader, n int) ([]byte, error) {
	if n == 0 {
		n = DefaultSecretSize
	}
	if n < MinSecretSize || n > 128 {
		return nil, fmt.Errorf("mfa: secret size %d out of range %d..128 bytes", n, MinSecretSize)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(randOrDefault(r), b); err != nil {
		return nil, fmt.Errorf("mfa: reading randomness: %w", err)
	}
	return b, nil
}

func b32() *base32.Encoding { return base32.StdEncoding.WithPadding(base32.NoPadding) }

// EncodeBase32 returns secret as upper-case RFC 4648 Base32 without
// padding, the form authenticator apps expect.
func EncodeBase32(secret []byte) string { return b32().EncodeToString(secret) }

// DecodeBase32 reads a Base32 secret as people copy it: any case, with
// spaces, dashes or trailing '=' padding.
func DecodeBase32(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '-', '=':
			return -1
		}
		return r
	}, strings.ToUpper(s))
	if s == "" {
		return nil, errors.New("mfa: empty Base32 secret")
	}
	b, err := b32().DecodeString(s)
	if err != nil {
		// The secret itself is not repeated in the error: it may end up in a log.
		return nil, errors.New("mfa: secret is not valid Base32")
	}
	return b, nil
}

// KeyURI returns the otpauth:// URI of a TOTP secret in the Google
// Authenticator Key Uri Format:
// otpauth://totp/Issuer:account?secret=...&issuer=...&algorithm=...&digits=...&period=...
// Issuer and account are percent-encoded (spaces as %20, a colon inside
// either as %3A so the label still splits in two).
func KeyURI(issuer, account string, secret []byte, p OATHParams) string {
	if n, err := p.Normalized(); err == nil {
		p = n
	}
	label := escapeLabel(account)
	if issuer != "" {
		label = escapeLabel(issuer) + ":" + label
	}
	q := "secret=" + EncodeBase32(secret)
	if issuer != "" {
		q += "&issuer=" + escapeQuery(issuer)
	}
	q += "&algorithm=" + escapeQuery(p.Algorithm) +
		"&digits=" + strconv.Itoa(p.Digits) +
		"&period=" + strconv.Itoa(int(p.Period.Seconds()))
	return "otpauth://totp/" + label + "?" + q
}

func escapeLabel(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
}

func escapeQuery(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
