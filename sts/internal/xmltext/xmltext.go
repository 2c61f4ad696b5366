// Package xmltext holds the text rules every document sts writes shares:
// the timestamp form, which characters XML 1.0 may carry, what an xs:ID
// looks like, and the one serializer of a signed element. It is internal
// to sts: the document packages (saml11, wsfed, metadata, later saml2)
// use it, nothing outside does. Pure: no I/O, no clock.
package xmltext

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/claims"
)

// samlTime is the timestamp form AD FS writes: UTC, milliseconds, Z.
const samlTime = "2006-01-02T15:04:05.000Z"

// FormatTime writes t the way AD FS does: UTC, milliseconds, Z.
func FormatTime(t time.Time) string { return t.UTC().Format(samlTime) }

// ErrInvalidXMLText is wrapped by issuance errors for a value that XML 1.0
// cannot carry, or should never carry (claims.CheckXMLText: invalid UTF-8,
// controls other than TAB, LF, CR, Unicode non-characters). etree would
// silently replace such characters at write time, after the digest was
// computed, so they are refused before signing. The users file and
// `claimgate check --user` apply the same rule, so a value refused here was
// reported there first. Callers outside sts see it as sts.ErrInvalidXMLText.
var ErrInvalidXMLText = errors.New("value cannot be carried in XML 1.0")

// CheckText refuses s when XML 1.0 cannot carry it; field names the value
// in the error, which wraps ErrInvalidXMLText.
func CheckText(field, s string) error {
	if err := claims.CheckXMLText(s); err != nil {
		return fmt.Errorf("%s: %w: %w", field, err, ErrInvalidXMLText)
	}
	return nil
}

// IsNCName is a conservative check of an xs:ID value: ASCII letters,
// digits, '_', '-', '.', not starting with a digit, '-' or '.'. AD FS is
// known to dislike IDs that start with a digit.
func IsNCName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c == '_':
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// Serialize writes a signed element exactly once. Canonical text and
// attribute escaping write CR (and TAB/LF in attributes) as character
// references, so a normal XML parser, which normalizes raw line endings,
// reads back exactly the characters that were digested.
func Serialize(el *etree.Element) ([]byte, error) {
	doc := etree.NewDocument()
	doc.SetRoot(el)
	doc.WriteSettings = etree.WriteSettings{CanonicalText: true, CanonicalAttrVal: true, CanonicalEndTags: true}
	return doc.WriteToBytes()
}

// EscapeText escapes character data written by hand (the RSTR wrapper)
// the same way Serialize does: & < > and CR. It runs on every token, so
// it builds nothing per call (a strings.Replacer was built each time) and
// returns s itself when there is nothing to escape.
func EscapeText(s string) string {
	i := strings.IndexAny(s, "&<>\r")
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\r':
			b.WriteString("&#xD;")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Clip shortens input quoted into log detail.
func Clip(s string) string {
	const n = 200
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
