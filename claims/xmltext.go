package claims

import (
	"fmt"
	"unicode/utf8"
)

// IsXMLChar reports whether r may appear in a value claimgate writes into
// a token. It is the Char production of XML 1.0 §2.2 (TAB, LF, CR,
// U+0020..U+D7FF, U+E000..U+FFFD, U+10000..U+10FFFF) minus what §2.2 asks
// authors to avoid: the C1 controls and DEL (U+007F..U+009F) and the
// Unicode non-characters (U+FDD0..U+FDEF and the last two code points of
// every plane, U+FFFE/U+FFFF through U+10FFFE/U+10FFFF).
//
// The discouraged characters are refused too because no directory value
// legitimately holds one, and a relying party's XML parser may reject
// them even where the grammar allows them. Every check of claim values
// (users file, claimgate check, token issuance) uses this one predicate,
// so a value that passes at load time cannot fail at sign-in.
func IsXMLChar(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r < 0x20, r >= 0x7F && r <= 0x9F:
		return false // controls (and negative values)
	case r >= 0xD800 && r <= 0xDFFF, r > utf8.MaxRune:
		return false // surrogates and beyond Unicode: not characters at all
	case r >= 0xFDD0 && r <= 0xFDEF, r&0xFFFE == 0xFFFE:
		return false // non-characters: U+nFFFE and U+nFFFF in every plane
	}
	return true
}

// XMLTextError describes the first character of a value that IsXMLChar
// refuses. Its message names the character and where it is, never the
// value, so it can go to logs and the audit trail.
type XMLTextError struct {
	// Offset is the byte offset of the character in the value.
	Offset int
	// Rune is the character; utf8.RuneError when the bytes are not UTF-8.
	Rune rune
	// BadUTF8 is true when the value is not valid UTF-8 at Offset.
	BadUTF8 bool
	// Byte is the offending byte when BadUTF8 is true.
	Byte byte
}

func (e *XMLTextError) Error() string {
	if e.BadUTF8 {
		return fmt.Sprintf("invalid UTF-8 (byte 0x%02X) at byte %d", e.Byte, e.Offset)
	}
	return fmt.Sprintf("character U+%04X (%s) at byte %d", e.Rune, kind(e.Rune), e.Offset)
}

// kind names the class of a character CheckXMLText refused, for the
// administrator who has to find it in the directory. (Decoding never
// yields a surrogate or a rune beyond Unicode, so these two are all.)
func kind(r rune) string {
	if r < 0x20 || r >= 0x7F && r <= 0x9F {
		return "a control character"
	}
	return "a Unicode non-character"
}

// CheckXMLText returns nil when s is valid UTF-8 and every character of
// it passes IsXMLChar, and otherwise an *XMLTextError for the first
// character that does not.
func CheckXMLText(s string) error {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			return &XMLTextError{Offset: i, Rune: r, BadUTF8: true, Byte: s[i]}
		}
		if !IsXMLChar(r) {
			return &XMLTextError{Offset: i, Rune: r}
		}
		i += size
	}
	return nil
}
