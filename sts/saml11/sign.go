package saml11

import (
	"crypto"
	"crypto/x509"

	"github.com/claimgate/claimgate/sts/xmlsig"
)

// layout is where SAML 1.1 wants the assertion's signature: the
// Reference names AssertionID, and ds:Signature is the last child, after
// the statements (oasis-sstc-saml-schema-assertion-1.1.xsd).
func layout() xmlsig.Layout {
	return xmlsig.Layout{Name: "assertion", IDAttr: assertionIDAttr, Place: xmlsig.PlaceLast}
}

// NewSigner returns the signer for assertions from BuildAssertion. Build
// it once (the Issuer does, in sts.NewIssuer) and sign every token with it.
func NewSigner(key crypto.Signer, cert *x509.Certificate) (*xmlsig.Signer, error) {
	return xmlsig.NewSigner(key, cert, layout())
}
