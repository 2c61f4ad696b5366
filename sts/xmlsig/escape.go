package xmlsig

import (
	"bytes"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// escapeMode is one of the two escapings etree applies with the
// canonical write settings (CanonicalText, CanonicalAttrVal), which are
// also exc-c14n's.
type escapeMode bool

const (
	escText escapeMode = false // & < > and CR
	escAttr escapeMode = true  // & < " TAB LF CR
)

// escape writes s as etree's escapeString writes it in mode m, character
// for character, including its replacement of characters XML cannot carry
// by U+FFFD (the issuers refuse those before signing, so they never reach
// here from claimgate's own documents). It exists so that the writers
// need not call etree's Attr.WriteTo and Element.WriteTo, which allocate
// a "prefix:name" string per prefixed name; escape_test.go checks it
// against etree on random strings.
func escape(w *bytes.Buffer, s string, m escapeMode) {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '&' && c != '<' && c != '>' && c != '"' {
			i++
			continue
		}
		r, width := rune(c), 1
		if c >= utf8.RuneSelf {
			r, width = utf8.DecodeRuneInString(s[i:])
		}
		var esc string
		switch {
		case r == '&':
			esc = "&amp;"
		case r == '<':
			esc = "&lt;"
		case r == '>' && m == escText:
			esc = "&gt;"
		case r == '"' && m == escAttr:
			esc = "&quot;"
		case r == '\t' && m == escAttr:
			esc = "&#x9;"
		case r == '\n' && m == escAttr:
			esc = "&#xA;"
		case r == '\r':
			esc = "&#xD;"
		case r == '>' || r == '"' || r == '\t' || r == '\n':
			i += width
			continue
		case !inCharacterRange(r) || (r == utf8.RuneError && width == 1):
			esc = "\uFFFD"
		default:
			i += width
			continue
		}
		w.WriteString(s[last:i])
		w.WriteString(esc)
		i += width
		last = i
	}
	w.WriteString(s[last:])
}

// inCharacterRange is XML 1.0's Char production, as etree tests it.
func inCharacterRange(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// writeAttr writes ` prefix:key="value"` as etree's Attr.WriteTo does
// with the canonical settings.
func writeAttr(w *bytes.Buffer, a *etree.Attr) {
	w.WriteByte(' ')
	if a.Space != "" {
		w.WriteString(a.Space)
		w.WriteByte(':')
	}
	w.WriteString(a.Key)
	w.WriteString(`="`)
	escape(w, a.Value, escAttr)
	w.WriteByte('"')
}

// writeToken writes a non-element token as etree does with the canonical
// settings: plain character data through escape, anything else (CDATA,
// processing instructions, directives, comments) through etree itself.
func writeToken(w *bytes.Buffer, t etree.Token) {
	if cd, ok := t.(*etree.CharData); ok && !cd.IsCData() {
		escape(w, cd.Data, escText)
		return
	}
	ws := writeSettings()
	t.WriteTo(w, &ws)
}
