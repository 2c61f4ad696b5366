package sts

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// samlTime is the timestamp form AD FS writes: UTC, milliseconds, Z.
const samlTime = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(samlTime) }

// ErrInvalidXMLText is wrapped by issuance errors for a value that XML 1.0
// cannot carry (invalid UTF-8 or a control character other than TAB, LF,
// CR). etree would silently replace such characters at write time, after
// the digest was computed, so they are refused before signing.
var ErrInvalidXMLText = errors.New("value cannot be carried in XML 1.0")

func checkXMLText(field, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s: invalid UTF-8: %w", field, ErrInvalidXMLText)
	}
	for i, r := range s {
		if !isXMLChar(r) {
			return fmt.Errorf("%s: character U+%04X at byte %d: %w", field, r, i, ErrInvalidXMLText)
		}
	}
	return nil
}

// isXMLChar is the Char production of XML 1.0 §2.2.
func isXMLChar(r rune) bool {
	switch {
	case r == 0x9 || r == 0xA || r == 0xD:
		return true
	case r >= 0x20 && r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	case r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// isNCName is a conservative check of an xs:ID value: ASCII letters,
// digits, '_', '-', '.', not starting with a digit, '-' or '.'. AD FS is
// known to dislike IDs that start with a digit.
func isNCName(s string) bool {
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

// serialize writes a signed element exactly once. Canonical text and
// attribute escaping write CR (and TAB/LF in attributes) as character
// references, so a normal XML parser, which normalizes raw line endings,
// reads back exactly the characters that were digested.
func serialize(el *etree.Element) ([]byte, error) {
	doc := etree.NewDocument()
	doc.SetRoot(el)
	doc.WriteSettings = etree.WriteSettings{CanonicalText: true, CanonicalAttrVal: true, CanonicalEndTags: true}
	return doc.WriteToBytes()
}

// escapeText escapes character data written by hand (the RSTR wrapper)
// the same way serialize does.
func escapeText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#xD;").Replace(s)
}
