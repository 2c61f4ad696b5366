package adfsmeta

import (
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/claimgate/claimgate/sts/xmlsafe"
)

// Parse verifies and reads an AD FS federation metadata document. See the package
// documentation for the order of the checks. Errors are wrapped with "adfsmeta: ".
func Parse(doc []byte, opts Options) (*Metadata, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	pins := make([]string, 0, len(opts.PinnedThumbprints))
	for _, p := range opts.PinnedThumbprints {
		n, err := NormalizeThumbprint(p)
		if err != nil {
			return nil, fmt.Errorf("adfsmeta: pinned %w", err)
		}
		pins = append(pins, n)
	}
	d, err := xmlsafe.Read(doc, opts.MaxBytes)
	if err != nil {
		return nil, fmt.Errorf("adfsmeta: %w", err)
	}
	root := d.Root()
	if root.Tag == "EntitiesDescriptor" {
		return nil, errors.New("adfsmeta: EntitiesDescriptor aggregates are not supported; use the farm's own FederationMetadata.xml")
	}
	if root.Tag != "EntityDescriptor" || root.NamespaceURI() != NSMetadata {
		return nil, fmt.Errorf("adfsmeta: root element is {%s}%s, want {%s}EntityDescriptor", root.NamespaceURI(), root.Tag, NSMetadata)
	}

	md := &Metadata{}
	signed, err := verify(root, pins, opts, md)
	if err != nil {
		return nil, fmt.Errorf("adfsmeta: %w", err)
	}
	if err := extract(signed, md); err != nil {
		return nil, fmt.Errorf("adfsmeta: %w", err)
	}
	md.Warnings = append(md.Warnings, expiryWarnings(md, now())...)
	return md, nil
}

// expiryWarnings reports expired or not-yet-valid published certificates. They are
// warnings because AD FS keeps using an expired token-signing certificate when
// AutoCertificateRollover is off, and the admin, not claimgate, decides.
func expiryWarnings(md *Metadata, now time.Time) []string {
	var w []string
	check := func(kind string, c *x509.Certificate) {
		switch {
		case now.After(c.NotAfter):
			w = append(w, fmt.Sprintf("%s certificate %s expired %s", kind, c.Subject, c.NotAfter.UTC().Format("2006-01-02")))
		case now.Before(c.NotBefore):
			w = append(w, fmt.Sprintf("%s certificate %s is not valid before %s", kind, c.Subject, c.NotBefore.UTC().Format("2006-01-02")))
		}
	}
	for _, c := range md.SigningCerts {
		check("signing", c)
	}
	if md.EncryptionCert != nil {
		check("encryption", md.EncryptionCert)
	}
	if md.SignedBy != nil && !containsCert(md.SigningCerts, md.SignedBy) {
		check("metadata signing", md.SignedBy)
	}
	return w
}

func containsCert(list []*x509.Certificate, c *x509.Certificate) bool {
	for _, x := range list {
		if x.Equal(c) {
			return true
		}
	}
	return false
}
