package xmlsafe

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestReadRefusesEveryBangConstruct: whatever follows "<!", in whatever
// case and wherever it stands, the document is refused before any parser
// sees it. The old token gate looked only for the literal "<!DOCTYPE" and
// "<!ENTITY", so the lowercase and ATTLIST/ELEMENT/NOTATION rows passed
// it; the old metadata gate skipped comments and CDATA.
func TestReadRefusesEveryBangConstruct(t *testing.T) {
	for name, doc := range map[string]string{
		"DOCTYPE":                  `<!DOCTYPE a><a/>`,
		"doctype, lower case":      `<!doctype a><a/>`,
		"internal subset":          `<!DOCTYPE a [<!ENTITY e "boom">]><a>&e;</a>`,
		"ENTITY alone":             `<!ENTITY e "x"><a/>`,
		"entity, lower case":       `<!entity e "x"><a/>`,
		"ATTLIST":                  `<!ATTLIST a id ID #IMPLIED><a/>`,
		"ELEMENT":                  `<!ELEMENT a ANY><a/>`,
		"NOTATION":                 `<!NOTATION n SYSTEM "x"><a/>`,
		"conditional section":      `<a><![INCLUDE[x]]></a>`,
		"declaration after root":   `<a/><!DOCTYPE a>`,
		"declaration inside":       `<a><b/><!x></a>`,
		"comment before root":      `<!-- c --><a/>`,
		"comment inside text":      `<a>admin<!---->.evil.example</a>`,
		"CDATA":                    `<a><![CDATA[x]]></a>`,
		"inside a PI":              `<?pi <!DOCTYPE a>?><a/>`,
		"after a UTF-8 BOM":        "\ufeff<!DOCTYPE a><a/>",
		"unterminated comment":     `<a/><!--`,
		"declaration, odd spacing": "<a/><!\tDOCTYPE a>",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Read([]byte(doc), 0)
			if !errors.Is(err, ErrDeclaration) {
				t.Fatalf("err = %v, want ErrDeclaration", err)
			}
		})
	}
}

func TestReadAccepts(t *testing.T) {
	for name, doc := range map[string]string{
		"plain":               `<a/>`,
		"XML declaration":     `<?xml version="1.0" encoding="utf-8"?><a/>`,
		"namespaces":          `<x:a xmlns:x="urn:x"><x:b c="&lt;!"/>&lt;!--</x:a>`,
		"processing":          `<?pi data?><a/>`,
		"character reference": `<a>&#60;!DOCTYPE</a>`,
		"space around root":   "\n\t<a/>\r\n<?pi after?>\n",
	} {
		t.Run(name, func(t *testing.T) {
			d, err := Read([]byte(doc), 0)
			if err != nil || d.Root() == nil {
				t.Fatalf("Read = %v, %v", d, err)
			}
		})
	}
}

func TestReadOtherGates(t *testing.T) {
	doc := []byte(`<a>` + strings.Repeat("x", 100) + `</a>`)
	if _, err := Read(doc, int64(len(doc))); err != nil {
		t.Fatalf("at the cap: %v", err)
	}
	if _, err := Read(doc, int64(len(doc)-1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("one byte over: %v", err)
	}
	big := append([]byte("<a>"), bytes.Repeat([]byte("x"), DefaultMaxBytes)...)
	if _, err := Read(append(big, "</a>"...), 0); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over the default cap: %v", err)
	}
	// encoding/xml reads x::Root as {x}Root... and writes it back as
	// <Root xmlns="x">: the round-trip validator refuses it.
	if _, err := Read([]byte(`<x::Root/>`), 0); err == nil || !strings.Contains(err.Error(), "round-trip") {
		t.Fatalf("round-trip ambiguity: %v", err)
	}
	for _, bad := range []string{"", "   ", "not xml", "<a>", "<a/><b/>", "<a/>garbage", "text<a/>", "<a/>\n<a/>", "\ufeff<a/><?pi?><b/>"} {
		if _, err := Read([]byte(bad), 0); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzRead: Read never panics, and nothing it accepts holds "<!" or is
// over the cap.
func FuzzRead(f *testing.F) {
	for _, s := range []string{`<a/>`, `<!DOCTYPE a><a/>`, `<a><![CDATA[x]]></a>`, `<?xml version="1.0"?><x:a xmlns:x="u"/>`, `<x::Root/>`, `<a>&#60;!x</a>`} {
		f.Add([]byte(s))
	}
	const max = 4096
	f.Fuzz(func(t *testing.T, doc []byte) {
		d, err := Read(doc, max)
		if err != nil {
			return
		}
		if bytes.Contains(doc, []byte("<!")) || len(doc) > max || d.Root() == nil {
			t.Fatalf("accepted %q", doc)
		}
	})
}
