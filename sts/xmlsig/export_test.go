package xmlsig

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"fmt"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/claimgate/claimgate/sts/internal/xmltext"
)

// Canonicalize is the fast exclusive canonicaliser, for equiv_test.go.
func Canonicalize(el *etree.Element) ([]byte, error) {
	var b bytes.Buffer
	err := canonicalize(&b, el)
	return b.Bytes(), err
}

// GoxmldsigCanonicalize is goxmldsig's exclusive canonicaliser as the
// signer used it, on a copy (it rewrites the tree it is given).
func GoxmldsigCanonicalize(el *etree.Element) ([]byte, error) {
	return dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(el.Copy())
}

// ReferenceSign is the signing path Signer.Sign replaced, kept as the
// reference its bytes are compared with: goxmldsig's SigningContext with
// the settings AD FS needs (exclusive C14N, prefix "ds", the layout's ID
// attribute), the digest over a copy, the signature inserted into another
// copy, xmltext.Serialize.
func ReferenceSign(key crypto.Signer, cert *x509.Certificate, l Layout, el *etree.Element, alg string) ([]byte, error) {
	h, ok := hashFor(alg)
	if !ok {
		return nil, fmt.Errorf("unknown algorithm %q", alg)
	}
	ctx, err := dsig.NewSigningContext(key, [][]byte{cert.Raw})
	if err != nil {
		return nil, err
	}
	ctx.Hash = h
	ctx.IdAttribute = l.IDAttr
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	ctx.Prefix = "ds"
	s := &Signer{layout: l}
	at, err := s.place(el)
	if err != nil {
		return nil, err
	}
	sig, err := ctx.ConstructSignature(el.Copy(), true)
	if err != nil {
		return nil, err
	}
	out := el.Copy()
	if at < 0 {
		out.AddChild(sig)
	} else {
		out.InsertChildAt(at, sig)
	}
	return xmltext.Serialize(out)
}
