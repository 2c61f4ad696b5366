package xmlsig

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/beevik/etree"
)

// TestEscapeMatchesEtree: escape writes text and attribute values as
// etree does with the canonical settings, for random strings of the
// characters either escapes, other controls, non-ASCII, U+FFFD and
// invalid UTF-8.
func TestEscapeMatchesEtree(t *testing.T) {
	pieces := []string{"&", "<", ">", `"`, "'", "\t", "\n", "\r", "\x00", "\x1f", "\x7f", "a", " ", "é", "日", "😀", "\ufffd", "\uffff", "\xff", "\xc3", "\xed\xa0\x80", "]]>"}
	r := rand.New(rand.NewPCG(1, 2))
	ws := writeSettings()
	for range 5000 {
		var s string
		for range r.IntN(10) {
			s += pieces[r.IntN(len(pieces))]
		}
		var want, got bytes.Buffer
		etree.NewText(s).WriteTo(&want, &ws)
		escape(&got, s, escText)
		if got.String() != want.String() {
			t.Fatalf("text %q: %q, etree %q", s, got.String(), want.String())
		}
		want.Reset()
		got.Reset()
		a := etree.Attr{Space: "p", Key: "k", Value: s}
		a.WriteTo(&want, &ws)
		writeAttr(&got, &a)
		if got.String() != " "+want.String() {
			t.Fatalf("attribute %q: %q, etree %q", s, got.String(), want.String())
		}
	}
}
