package adfsmeta

import (
	"testing"

	"github.com/claimgate/claimgate/certs"
)

// FuzzParse checks that no input makes Parse panic and that nothing is accepted
// unless it verifies against the pinned AD FS 2016 certificate.
func FuzzParse(f *testing.F) {
	for _, fx := range fixtures {
		f.Add(readFixture(f, fx.file))
	}
	f.Add([]byte(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" ID="_a" entityID="x"/>`))
	f.Add([]byte(`<!DOCTYPE a><a/>`))
	opts := Options{PinnedThumbprints: []string{fixtures[2].signSHA1}, Now: testNow}
	f.Fuzz(func(t *testing.T, doc []byte) {
		md, err := Parse(doc, opts)
		if err == nil && (md.SignedBy == nil || certs.ThumbprintSHA1(md.SignedBy) != fixtures[2].signSHA1) {
			t.Fatalf("accepted a document not signed by the pinned certificate")
		}
	})
}
