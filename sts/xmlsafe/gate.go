package xmlsafe

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
	xrv "github.com/mattermost/xml-roundtrip-validator"
)

// DefaultMaxBytes is the size cap when the caller gives none. Real AD FS
// tokens are a few KiB and its metadata 30–75 KB; 1 MiB leaves room for
// long group lists without letting a hostile peer make us parse megabytes.
const DefaultMaxBytes = 1 << 20

// Sentinel errors for the pre-parse gates, so callers can tell a hostile or
// oversized document from a bad signature (rpsource keeps the last good
// metadata, the verifier names the fault).
var (
	ErrTooLarge    = errors.New("document exceeds the size limit")
	ErrDeclaration = errors.New("document contains a DOCTYPE, other markup declaration, comment or CDATA section")
)

// Read applies the gates of the package documentation and returns the
// parsed document. maxBytes <= 0 means DefaultMaxBytes.
func Read(doc []byte, maxBytes int64) (*etree.Document, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if int64(len(doc)) > maxBytes {
		return nil, fmt.Errorf("%w: %d bytes > %d", ErrTooLarge, len(doc), maxBytes)
	}
	if off := bytes.Index(doc, []byte("<!")); off >= 0 {
		return nil, fmt.Errorf("%w at byte %d", ErrDeclaration, off)
	}
	if err := xrv.Validate(bytes.NewReader(doc)); err != nil {
		return nil, fmt.Errorf("xml round-trip validation: %w", err)
	}
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return nil, fmt.Errorf("xml: %w", err)
	}
	if err := oneRoot(d); err != nil {
		return nil, err
	}
	return d, nil
}

// oneRoot refuses what XML 1.0 §2.1 forbids but etree reads: no root, a
// second root element, or text beside the root. etree's Root() is the
// first element, so a second one would be invisible to a signature
// check and visible to whatever else reads the bytes (another parser, a
// log): two readers must never disagree about which element a document
// is. Processing instructions and white space are allowed around the root.
func oneRoot(d *etree.Document) error {
	roots := 0
	for _, t := range d.Child {
		switch t := t.(type) {
		case *etree.Element:
			roots++
		case *etree.CharData:
			if strings.TrimLeft(t.Data, " \t\r\n") != "" {
				return errors.New("xml: text outside the root element")
			}
		}
	}
	switch {
	case roots == 0:
		return errors.New("xml: no root element")
	case roots > 1:
		return errors.New("xml: more than one root element")
	}
	return nil
}
