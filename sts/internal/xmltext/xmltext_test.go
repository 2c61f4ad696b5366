package xmltext

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// serializedText is what Serialize writes for s as an element's text,
// without the element's tags: the rule EscapeText must follow.
func serializedText(t *testing.T, s string) string {
	t.Helper()
	el := etree.NewElement("a")
	el.SetText(s)
	b, err := Serialize(el)
	if err != nil {
		t.Fatal(err)
	}
	out := strings.TrimSuffix(strings.TrimPrefix(string(b), "<a>"), "</a>")
	if out == string(b) {
		t.Fatalf("unexpected serialization %q", b)
	}
	return out
}

// TestEscapeTextLikeSerialize: EscapeText writes character data exactly
// as Serialize does (and as the strings.Replacer it replaced did), for
// the special characters alone, mixed with multi-byte UTF-8, at either
// end, and for 5,000 random strings over an alphabet dense in them.
func TestEscapeTextLikeSerialize(t *testing.T) {
	old := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#xD;")
	cases := []string{"", "plain", "&", "<", ">", "\r", "\r\n", "a&b<c>d\re", "&amp;", "]]>", "é&ü<€>\r𝄞", "&x", "x&",
		"\"quotes\" and 'apostrophes'", "tab\tand\nnewline"}
	rnd := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"&", "<", ">", "\r", "\n", "\t", "\"", "'", "a", "Z", "0", " ", "é", "€", "𝄞", ";"}
	for range 5000 {
		var b strings.Builder
		for range rnd.IntN(12) {
			b.WriteString(alphabet[rnd.IntN(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	for _, s := range cases {
		got := EscapeText(s)
		if want := old.Replace(s); got != want {
			t.Fatalf("EscapeText(%q) = %q, the replacer wrote %q", s, got, want)
		}
		if want := serializedText(t, s); got != want {
			t.Fatalf("EscapeText(%q) = %q, Serialize writes %q", s, got, want)
		}
	}
}

// TestEscapeTextAllocs: text with nothing to escape (every realm URL in
// practice) is returned as it is, without an allocation; text with
// something to escape costs one.
func TestEscapeTextAllocs(t *testing.T) {
	plain := "https://adfs.example.test/adfs/services/trust"
	if n := testing.AllocsPerRun(100, func() { _ = EscapeText(plain) }); n != 0 {
		t.Errorf("EscapeText of plain text: %.0f allocs, want 0", n)
	}
	special := "urn:a&b<c>"
	if n := testing.AllocsPerRun(100, func() { _ = EscapeText(special) }); n > 1 {
		t.Errorf("EscapeText of text to escape: %.0f allocs, want at most 1", n)
	}
}
