package xmlsig

import (
	"bytes"
	"crypto/x509"
	"errors"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/internal/xmltext"
	"github.com/claimgate/claimgate/sts/xmlsafe"
)

// Trust is what a signature must satisfy to be believed.
type Trust struct {
	// Certs are the signer's certificates. The KeyInfo certificate must
	// equal one of them byte for byte.
	Certs []*x509.Certificate
	// Algorithms are the SignatureMethod URIs accepted; empty means
	// RSA-SHA256 only. See CheckSignatureAlgorithms for the digests.
	Algorithms []string
	// Now is the clock for the certificate's validity; nil means time.Now.
	Now func() time.Time
	// Skew is the clock drift tolerated on the certificate's validity,
	// used as given.
	Skew time.Duration
	// IgnoreTime skips the certificate's validity (for recorded fixtures).
	IgnoreTime bool
}

// Verified is a signature Verify believed.
type Verified struct {
	// Element is the signed element as goxmldsig reads it back from the
	// canonical bytes: the only thing a caller may read values from.
	Element *etree.Element
	// Cert is the trusted certificate that signed it.
	Cert *x509.Certificate
	// SignatureMethod is SignedInfo's SignatureMethod URI.
	SignatureMethod string
}

// ReadUntrusted passes b through the one gate for untrusted XML
// (xmlsafe.Read: size cap, no "<!" construct, round-trip check) before
// anything is parsed for use: encoding/xml quirks must not let the
// signature see one document and the reader another.
func ReadUntrusted(b []byte, maxBytes int64) (*etree.Element, error) {
	doc, err := xmlsafe.Read(b, maxBytes)
	if errors.Is(err, xmlsafe.ErrTooLarge) {
		return nil, Reject(FaultTooLarge, err, "%d bytes, limit %d", len(b), maxBytes)
	}
	if err != nil {
		return nil, Reject(FaultMalformed, err, "untrusted XML gate")
	}
	return doc.Root(), nil
}

// Verify checks el's one enveloped signature against tr and returns what
// it covers. el comes from ReadUntrusted (detached from any wrapper with
// xmlsafe.Detach); l names the document and its ID attribute.
func Verify(el *etree.Element, l Layout, tr Trust) (*Verified, error) {
	now := time.Now
	if tr.Now != nil {
		now = tr.Now
	}
	sigs := xmlsafe.Children(el, xmlsafe.NSDSig, "Signature")
	if len(sigs) != 1 {
		return nil, Reject(FaultSignature, nil, "%d ds:Signature children on the %s, want 1", len(sigs), l.Name)
	}
	cert, err := trustedSigner(sigs[0], tr.Certs)
	if err != nil {
		return nil, err
	}
	if err := CheckSignatureAlgorithms(sigs[0], tr.Algorithms); err != nil {
		return nil, Reject(FaultSignature, err, "algorithm policy")
	}
	if !tr.IgnoreTime {
		t := now()
		if t.Add(tr.Skew).Before(cert.NotBefore) || t.Add(-tr.Skew).After(cert.NotAfter) {
			return nil, Reject(FaultUntrustedKey, nil, "signing certificate valid %s..%s, not at %s",
				xmltext.FormatTime(cert.NotBefore), xmltext.FormatTime(cert.NotAfter), xmltext.FormatTime(t))
		}
	}
	// Certificate time was judged above (or deliberately skipped);
	// VerifyEnveloped leaves dates alone.
	verified, err := xmlsafe.VerifyEnveloped(el, cert, l.IDAttr)
	if err != nil {
		return nil, Reject(FaultSignature, err, "%s %q", l.Name, xmltext.Clip(el.SelectAttrValue(l.IDAttr, "")))
	}
	return &Verified{Element: verified, Cert: cert, SignatureMethod: xmlsafe.SignatureMethod(sigs[0])}, nil
}

// trustedSigner returns the trusted certificate the KeyInfo certificate
// is, byte for byte. KeyInfo is required (AD FS needs it to find the
// claims provider trust), and a certificate that merely carries a trusted
// public key is not enough: its dates and subject would be the signer's
// own claims, so an expired key could mint a fresh-looking certificate.
func trustedSigner(sig *etree.Element, trusted []*x509.Certificate) (*x509.Certificate, error) {
	inKeyInfo, err := xmlsafe.KeyInfoCerts(sig)
	if err != nil {
		return nil, Reject(FaultUntrustedKey, err, "signature KeyInfo")
	}
	if len(inKeyInfo) == 0 {
		return nil, Reject(FaultUntrustedKey, nil, "no X509Certificate in KeyInfo")
	}
	embedded := inKeyInfo[0]
	for _, t := range trusted {
		if t == nil {
			continue
		}
		if bytes.Equal(t.Raw, embedded.Raw) {
			return t, nil
		}
	}
	return nil, Reject(FaultUntrustedKey, nil, "signing certificate %q is not trusted", embedded.Subject.String())
}
