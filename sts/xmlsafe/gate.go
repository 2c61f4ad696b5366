package xmlsafe

import (
	"bytes"
	"errors"
	"fmt"

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
	if d.Root() == nil {
		return nil, errors.New("xml: no root element")
	}
	return d, nil
}
