package adfsmeta

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/claimgate/claimgate/certs"
)

// verify checks the enveloped signature on root and returns the element that was
// actually signed (as goxmldsig re-reads it from the canonical bytes). It sets
// md.SignedBy and may add warnings.
func verify(root *etree.Element, pins []string, opts Options, now time.Time, md *Metadata) (*etree.Element, error) {
	sigs := childrenNS(root, NSXMLDSig, "Signature")
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

	candidates, err := keyInfoCerts(sigs[0])
	if err != nil {
		return nil, err
	}
	if len(candidates) == 0 {
		// No KeyInfo: only explicitly trusted certificates can be tried,
		// each of them (during a rollover there are two).
		if len(opts.TrustedCerts) == 0 {
			return nil, errors.New("signature has no KeyInfo certificate and no trusted certificates are configured")
		}
		var firstErr error
		for _, c := range opts.TrustedCerts {
			signed, err := validateAs(root, c, now)
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
	signed, err := validateAs(root, signer, now)
	if err != nil {
		return nil, err
	}
	md.SignedBy = signer
	return signed, nil
}

// validateAs checks root's signature with signer's key and returns the
// signed element. goxmldsig refuses certificates outside their validity
// period; trust here comes from the pin, so it validates at an instant
// inside the validity window and expiry is reported separately (Parse adds
// the warning).
func validateAs(root *etree.Element, signer *x509.Certificate, now time.Time) (*etree.Element, error) {
	at := now
	if at.After(signer.NotAfter) {
		at = signer.NotAfter
	}
	if at.Before(signer.NotBefore) {
		at = signer.NotBefore
	}
	vc := &dsig.ValidationContext{
		CertificateStore: &dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{signer}},
		IdAttribute:      "ID",
		Clock:            dsig.NewFakeClockAt(at),
	}
	signed, err := vc.Validate(root)
	if err != nil {
		return nil, fmt.Errorf("metadata signature does not verify: %w", err)
	}
	if signed.Tag != "EntityDescriptor" || signed.NamespaceURI() != NSMetadata {
		return nil, errors.New("signature does not cover the EntityDescriptor")
	}
	return signed, nil
}

// keyInfoCerts returns the certificates in Signature/KeyInfo/X509Data, first one first.
func keyInfoCerts(sig *etree.Element) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, ki := range childrenNS(sig, NSXMLDSig, "KeyInfo") {
		for _, xd := range childrenNS(ki, NSXMLDSig, "X509Data") {
			for _, xc := range childrenNS(xd, NSXMLDSig, "X509Certificate") {
				c, err := parseB64Cert(xc.Text())
				if err != nil {
					return nil, fmt.Errorf("signature KeyInfo: %w", err)
				}
				out = append(out, c)
			}
		}
	}
	return out, nil
}

func parseB64Cert(s string) (*x509.Certificate, error) {
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		return nil, fmt.Errorf("X509Certificate is not base64: %w", err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("X509Certificate: %w", err)
	}
	return c, nil
}
