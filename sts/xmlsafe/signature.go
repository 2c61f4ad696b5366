package xmlsafe

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// KeyInfoCerts returns the certificates in el's ds:KeyInfo/ds:X509Data/
// ds:X509Certificate children, in document order. el is a ds:Signature or
// an md:KeyDescriptor. One certificate that does not decode fails the
// whole list: a signer that sends garbage next to its certificate is not
// one to guess about.
func KeyInfoCerts(el *etree.Element) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, ki := range Children(el, NSDSig, "KeyInfo") {
		for _, xd := range Children(ki, NSDSig, "X509Data") {
			for _, xc := range Children(xd, NSDSig, "X509Certificate") {
				c, err := parseCert(xc.Text())
				if err != nil {
					return nil, fmt.Errorf("KeyInfo: %w", err)
				}
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// parseCert decodes base64 DER, ignoring the line breaks and indentation
// XML-DSig producers put into long values.
func parseCert(s string) (*x509.Certificate, error) {
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

// SignatureMethod returns the Algorithm of sig's SignedInfo/SignatureMethod,
// or "" when there is none.
func SignatureMethod(sig *etree.Element) string {
	for _, si := range Children(sig, NSDSig, "SignedInfo") {
		for _, sm := range Children(si, NSDSig, "SignatureMethod") {
			return sm.SelectAttrValue("Algorithm", "")
		}
	}
	return ""
}

// DigestMethods returns the Algorithm of every SignedInfo/Reference/
// DigestMethod of sig, in document order ("" for one without).
func DigestMethods(sig *etree.Element) []string {
	var out []string
	for _, si := range Children(sig, NSDSig, "SignedInfo") {
		for _, ref := range Children(si, NSDSig, "Reference") {
			for _, dm := range Children(ref, NSDSig, "DigestMethod") {
				out = append(out, dm.SelectAttrValue("Algorithm", ""))
			}
		}
	}
	return out
}

// VerifyEnveloped checks el's enveloped signature (the Reference names
// el's idAttr) with signer's key and returns the signed element as
// goxmldsig reads it back from the canonical bytes. Callers must read
// values only from that element: anything outside the signed bytes
// (wrapped or sibling content) is gone from it.
//
// A ds:KeyInfo certificate, when present, must be signer itself. Dates are
// not judged (see the package documentation), so goxmldsig's clock is set
// to the first instant signer is valid.
func VerifyEnveloped(el *etree.Element, signer *x509.Certificate, idAttr string) (*etree.Element, error) {
	if signer == nil {
		return nil, errors.New("no certificate to verify the signature with")
	}
	vc := &dsig.ValidationContext{
		CertificateStore: &dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{signer}},
		IdAttribute:      idAttr,
		Clock:            dsig.NewFakeClockAt(signer.NotBefore),
	}
	return vc.Validate(el)
}
