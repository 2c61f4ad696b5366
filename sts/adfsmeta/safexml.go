package adfsmeta

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/beevik/etree"
	xrv "github.com/mattermost/xml-roundtrip-validator"
)

// Sentinel errors for the pre-parse gates, so callers (rpsource, explain) can tell
// a hostile or oversized document from a bad signature.
var (
	ErrTooLarge    = errors.New("document exceeds the size limit")
	ErrDeclaration = errors.New("document contains a DOCTYPE or other markup declaration")
)

// ReadXML applies the gates every network-supplied XML document passes before it
// is parsed: a size cap, refusal of any markup declaration (DOCTYPE, ENTITY, …:
// nothing AD FS sends needs one, and refusing them rules out entity expansion),
// and xml-roundtrip-validator, whose checks catch inputs that encoding/xml (and so
// etree and goxmldsig) would re-serialise differently from how they were signed.
// maxBytes <= 0 means DefaultMaxBytes.
func ReadXML(doc []byte, maxBytes int64) (*etree.Document, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if int64(len(doc)) > maxBytes {
		return nil, fmt.Errorf("%w: %d bytes > %d", ErrTooLarge, len(doc), maxBytes)
	}
	if off := declarationOffset(doc); off >= 0 {
		return nil, fmt.Errorf("%w at byte %d", ErrDeclaration, off)
	}
	if err := xrv.Validate(bytes.NewReader(doc)); err != nil {
		return nil, fmt.Errorf("xml round-trip validation: %w", err)
	}
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return nil, fmt.Errorf("xml: %w", err)
	}
	if d.Root() == nil {
		return nil, errors.New("xml: no root element")
	}
	return d, nil
}

// declarationOffset returns the offset of the first "<!" that does not open a
// comment or CDATA section, or -1. It errs on the side of refusing: a "<!" inside
// a comment is still seen only if it follows "<!--", which it skips as a whole.
func declarationOffset(doc []byte) int {
	for i := 0; i < len(doc); {
		j := bytes.Index(doc[i:], []byte("<!"))
		if j < 0 {
			return -1
		}
		at := i + j
		rest := doc[at:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			end := bytes.Index(rest[4:], []byte("-->"))
			if end < 0 {
				return -1 // unterminated comment: the parser will reject it
			}
			i = at + 4 + end + 3
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			end := bytes.Index(rest[9:], []byte("]]>"))
			if end < 0 {
				return -1
			}
			i = at + 9 + end + 3
		default:
			return at
		}
	}
	return -1
}
