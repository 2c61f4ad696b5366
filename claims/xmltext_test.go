package claims

import (
	"errors"
	"strings"
	"testing"
)

func TestIsXMLChar(t *testing.T) {
	for r, want := range map[rune]bool{
		'\t': true, '\n': true, '\r': true, ' ': true, 'a': true, 'Å': true, '€': true,
		0xD7FF: true, 0xE000: true, 0xFFFD: true, 0x10000: true, 0x1F600: true, 0x10FFFD: true,
		0xFDCF: true, 0xFDF0: true, 0x1FFFD: true,
		0x0: false, 0x1: false, 0x8: false, 0xB: false, 0xC: false, 0x1F: false,
		0x7F: false, 0x85: false, 0x9F: false, // DEL and C1 controls
		0xD800: false, 0xDFFF: false, // surrogates
		0xFDD0: false, 0xFDEF: false, 0xFFFE: false, 0xFFFF: false,
		0x1FFFE: false, 0x1FFFF: false, 0x10FFFE: false, 0x10FFFF: false,
		0x110000: false, -1: false,
	} {
		if got := IsXMLChar(r); got != want {
			t.Errorf("IsXMLChar(U+%04X) = %v, want %v", r, got, want)
		}
	}
}

func TestCheckXMLText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"Alice Ångström\t<a&b>\r\n 😀 \uFFFD", ""},
		{"alice\uFFFE@example.test", "character U+FFFE (a Unicode non-character) at byte 5"},
		{"x\uFDD0", "character U+FDD0 (a Unicode non-character) at byte 1"},
		{"\U0010FFFF", "character U+10FFFF (a Unicode non-character) at byte 0"},
		{"ab\x01", "character U+0001 (a control character) at byte 2"},
		{"\u0085", "character U+0085 (a control character) at byte 0"},
		{"é\xff", "invalid UTF-8 (byte 0xFF) at byte 2"},
		{"\xed\xa0\x80", "invalid UTF-8 (byte 0xED) at byte 0"}, // an encoded surrogate
	} {
		err := CheckXMLText(c.in)
		if c.want == "" {
			if err != nil {
				t.Errorf("CheckXMLText(%q) = %v", c.in, err)
			}
			continue
		}
		var xe *XMLTextError
		if !errors.As(err, &xe) || err.Error() != c.want {
			t.Errorf("CheckXMLText(%q) = %v, want %q", c.in, err, c.want)
		}
		// The message is for logs: it must not carry the value.
		if len(c.in) > 3 && strings.Contains(err.Error(), c.in) {
			t.Errorf("message repeats the value: %v", err)
		}
	}
}
