package adfsmeta

import (
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/sts/xmlsafe"
)

// verify checks the enveloped signature on root and returns the element that was
// actually signed (as goxmldsig re-reads it from the canonical bytes). It sets
// md.SignedBy and may add warnings.
func verify(root *etree.Element, pins []string, opts Options, md *Metadata) (*etree.Element, error) {
	sigs := xmlsafe.Children(root, NSXMLDSig, "Signature")
	if len(sigs) == 0 {
		if opts.InsecureAllowUnsigned {
			md.Warnings = append(md.Warnings, "metadata is not signed; accepted because InsecureAllowUnsigned is set")
			return root, nil
		}
		return nil, errors.New("metadata is not signed (AD FS always signs its metadata; refusing)")
	}
	if len(sigs) > 1 {
		return nil, errors.New("metadata carries more than one enveloped signature")
	}
	if root.SelectAttrValue("ID", "") == "" {
		return nil, errors.New("EntityDescriptor has no ID attribute for the signature to reference")
	}

	candidates, err := xmlsafe.KeyInfoCerts(sigs[0])
	if err != nil {
		return nil, fmt.Errorf("signature %w", err)
	}
	if len(candidates) == 0 {
		// No KeyInfo: only explicitly trusted certificates can be tried,
		// each of them (during a rollover there are two).
		if len(opts.TrustedCerts) == 0 {
			return nil, errors.New("signature has no KeyInfo certificate and no trusted certificates are configured")
		}
		var firstErr error
		for _, c := range opts.TrustedCerts {
			signed, err := validateAs(root, c)
			if err == nil {
				md.SignedBy = c
				return signed, nil
			}
			if firstErr == nil {
				firstErr = err
			}
		}
		return nil, firstErr
	}
	signer := candidates[0]
	switch {
	case len(pins) > 0 && pinned(signer, pins):
	case trusted(signer, opts.TrustedCerts):
	case opts.InsecureTrustOnFirstUse:
		md.Warnings = append(md.Warnings, fmt.Sprintf(
			"metadata signer %s is not pinned; trusted on first use (pin SHA-256 %s)", signer.Subject, certs.ThumbprintSHA256(signer)))
	default:
		return nil, fmt.Errorf("metadata is signed by %s (SHA-1 %s, SHA-256 %s), which is neither pinned nor trusted",
			signer.Subject, certs.ThumbprintSHA1(signer), certs.ThumbprintSHA256(signer))
	}
	signed, err := validateAs(root, signer)
	if err != nil {
		return nil, err
	}
	md.SignedBy = signer
	return signed, nil
}

// validateAs checks root's signature with signer's key and returns the
// signed element. Trust here comes from the pin, not the dates: AD FS
// signing certificates are routinely past NotAfter in lab farms, so
// expiry is a warning (Parse adds it) and xmlsafe.VerifyEnveloped leaves
// dates alone.
func validateAs(root *etree.Element, signer *x509.Certificate) (*etree.Element, error) {
	signed, err := xmlsafe.VerifyEnveloped(root, signer, "ID")
	if err != nil {
		return nil, fmt.Errorf("metadata signature does not verify: %w", err)
	}
	if !xmlsafe.Is(signed, NSMetadata, "EntityDescriptor") {
		return nil, errors.New("signature does not cover the EntityDescriptor")
	}
	return signed, nil
}
