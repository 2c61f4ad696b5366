package saml2

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // SHA-1 only where the SP is configured for rsa-sha1
	"crypto/sha256"
	"crypto/x509"
	"slices"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/internal/xmltext"
	"github.com/claimgate/claimgate/sts/xmlsafe"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// verifyMessage checks the message's signature for sp and returns the
// element values may be read from, and whether it was signed. A POST
// message's enveloped signature goes through xmlsig.Verify, which returns
// the signed element; a Redirect message's detached signature is not
// XML-DSig (verifyDetached). A signature that is present must verify. A
// message without one passes only when required is false; so does a
// signed one from an SP with no certificates configured, which is then
// treated as unsigned, since nothing could check it.
func verifyMessage(root *etree.Element, m *message, sp *SP, required bool, o *ParseOptions) (*etree.Element, bool, error) {
	enveloped := xmlsafe.Children(root, xmlsafe.NSDSig, "Signature")
	if m.binding == BindingRedirect && len(enveloped) > 0 {
		// §3.4.4.1: the signature travels in the query, never in the XML.
		return nil, false, refuse(StatusRequester, StatusRequestDenied, "HTTP-Redirect message carries an XML signature")
	}
	present := len(enveloped) > 0 || m.signature != nil
	if !present || len(sp.SigningCerts) == 0 {
		if required {
			return nil, false, refuse(StatusRequester, StatusRequestDenied, "%s requires signed requests; this one is not signed", xmltext.Clip(sp.EntityID))
		}
		return root, false, nil
	}
	allowed, err := xmlsig.SignatureMethods(sp.SignatureAlgorithm)
	if err != nil {
		return nil, false, refuse(StatusResponder, "", "SP %s: %v", xmltext.Clip(sp.EntityID), err)
	}
	if m.binding == BindingRedirect {
		if err := verifyDetached(m, sp.SigningCerts, allowed, o); err != nil {
			return nil, false, err
		}
		return root, true, nil
	}
	v, err := xmlsig.Verify(root, xmlsig.Layout{Name: root.Tag, IDAttr: "ID", Place: xmlsig.PlaceAfter, AfterNS: NSAssertion, AfterTag: "Issuer"},
		xmlsig.Trust{Certs: sp.SigningCerts, Algorithms: allowed, Now: o.Now, Skew: o.Skew})
	if err != nil {
		return nil, false, refuse(StatusRequester, StatusRequestDenied, "signature of %s: %v", xmltext.Clip(sp.EntityID), err)
	}
	return v.Element, true, nil
}

// verifyDetached checks the HTTP-Redirect signature (§3.4.4.1): RSA
// PKCS#1 v1.5 over the exact query octets, by any of the SP's signing
// certificates valid now. Every certificate is tried: an SP that renewed
// its certificate for the same key lists the expired one beside the
// current one, and the first match being expired says nothing about the
// rest. The URI policy is xmlsig's, the one place
// algorithms are decided; the computation is here because it is not an
// XML signature.
func verifyDetached(m *message, certs []*x509.Certificate, allowed []string, o *ParseOptions) error {
	if !slices.Contains(allowed, m.sigAlg) {
		return refuse(StatusRequester, StatusRequestDenied, "SigAlg %q is not allowed", xmltext.Clip(m.sigAlg))
	}
	var h crypto.Hash
	var digest []byte
	switch m.sigAlg {
	case xmlsig.SigRSASHA256:
		d := sha256.Sum256(m.signed)
		h, digest = crypto.SHA256, d[:]
	case xmlsig.SigRSASHA1:
		d := sha1.Sum(m.signed) //nolint:gosec // allowed only for an SP set to rsa-sha1
		h, digest = crypto.SHA1, d[:]
	default:
		return refuse(StatusRequester, StatusRequestDenied, "SigAlg %q is not supported", xmltext.Clip(m.sigAlg))
	}
	now := o.Now()
	var expired *x509.Certificate
	for _, c := range certs {
		pub, ok := c.PublicKey.(*rsa.PublicKey)
		if !ok || rsa.VerifyPKCS1v15(pub, h, digest, m.signature) != nil {
			continue
		}
		if validAt(c, now, o.Skew) {
			return nil
		}
		expired = c
	}
	if expired != nil {
		return refuse(StatusRequester, StatusRequestDenied, "request signed by %q, whose certificate is not valid now", expired.Subject.String())
	}
	return refuse(StatusRequester, StatusRequestDenied, "query signature does not verify with any signing certificate of the SP")
}

func validAt(c *x509.Certificate, t time.Time, skew time.Duration) bool {
	return !t.Add(skew).Before(c.NotBefore) && !t.Add(-skew).After(c.NotAfter)
}
