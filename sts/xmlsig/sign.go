package xmlsig

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/claimgate/claimgate/sts/internal/xmltext"
	"github.com/claimgate/claimgate/sts/xmlsafe"
)

// Place is where a document type wants its enveloped ds:Signature.
type Place int

// The places the documents claimgate signs need.
const (
	// PlaceLast appends the signature as the last child: the SAML 1.1
	// assertion (after its statements).
	PlaceLast Place = iota + 1
	// PlaceFirst makes it the first child: SAML metadata.
	PlaceFirst
	// PlaceAfter puts it right after the first child {AfterNS}AfterTag:
	// SAML 2.0 protocol messages and assertions, after saml:Issuer.
	PlaceAfter
)

// Layout is what a document type tells the signature layer: its name (for
// errors), the attribute its Reference names, and where the signature
// goes. The document packages own their layouts.
type Layout struct {
	Name   string // "assertion", "metadata": names the document in errors
	IDAttr string // AssertionID (SAML 1.1) or ID (metadata, SAML 2.0)
	Place  Place
	// AfterNS and AfterTag name the child the signature follows with
	// PlaceAfter.
	AfterNS, AfterTag string
}

func (l Layout) check() error {
	if l.Name == "" || l.IDAttr == "" {
		return errors.New("sts: signature layout needs a name and an ID attribute")
	}
	switch l.Place {
	case PlaceLast, PlaceFirst:
		return nil
	case PlaceAfter:
		if l.AfterTag != "" {
			return nil
		}
	}
	return fmt.Errorf("sts: signature layout for %s has no valid place", l.Name)
}

// Signer makes enveloped signatures for one document layout with one key.
// It is safe for concurrent use: NewSigner builds everything it needs,
// Sign only reads it.
type Signer struct {
	layout Layout
	ctx    map[crypto.Hash]*dsig.SigningContext
}

// NewSigner checks the key pair and builds one signing context per
// algorithm (algorithms.go). Build it once and keep it.
func NewSigner(key crypto.Signer, cert *x509.Certificate, l Layout) (*Signer, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	if err := CheckKeyPair(key, cert); err != nil {
		return nil, fmt.Errorf("sts: signer: %w", err)
	}
	s := &Signer{layout: l, ctx: make(map[crypto.Hash]*dsig.SigningContext)}
	for _, h := range signingHashes() {
		ctx, err := newSigningContext(key, cert, h, l.IDAttr)
		if err != nil {
			return nil, err
		}
		s.ctx[h] = ctx
	}
	return s, nil
}

// CheckKeyPair makes sure the key is RSA and belongs to the certificate:
// a mismatch would produce tokens AD FS rejects with event 371.
func CheckKeyPair(signer crypto.Signer, cert *x509.Certificate) error {
	if signer == nil || cert == nil {
		return errors.New("signer and certificate are both required")
	}
	pub, ok := signer.Public().(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("signing key is %T, AD FS needs RSA", signer.Public())
	}
	if !pub.Equal(cert.PublicKey) {
		return errors.New("signing key does not match the certificate's public key")
	}
	return nil
}

// newSigningContext applies the settings AD FS needs (protocol notes §3):
// goxmldsig's defaults (ID attribute "ID", C14N 1.1) are wrong for it.
func newSigningContext(signer crypto.Signer, cert *x509.Certificate, h crypto.Hash, idAttr string) (*dsig.SigningContext, error) {
	ctx, err := dsig.NewSigningContext(signer, [][]byte{cert.Raw})
	if err != nil {
		return nil, fmt.Errorf("sts: signing context: %w", err)
	}
	ctx.Hash = h
	ctx.IdAttribute = idAttr
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	ctx.Prefix = "ds"
	if ctx.GetSignatureMethodIdentifier() == "" {
		return nil, fmt.Errorf("sts: no signature method for %v", h)
	}
	return ctx, nil
}

// Sign signs el (enveloped, exclusive C14N, Reference "#" + its ID
// attribute, the certificate in KeyInfo) with the algorithm name alg (""
// is rsa-sha256), puts the signature where the layout says and serializes
// the result once. The returned bytes must be spliced into any wrapper
// untouched. el itself is not changed.
func (s *Signer) Sign(el *etree.Element, alg string) ([]byte, error) {
	h, ok := hashFor(alg)
	if !ok {
		return nil, fmt.Errorf("sts: unknown signature algorithm %q", alg)
	}
	signed, err := s.envelop(s.ctx[h], el)
	if err != nil {
		return nil, fmt.Errorf("sts: signing %s: %w", s.layout.Name, err)
	}
	out, err := xmltext.Serialize(signed)
	if err != nil {
		return nil, fmt.Errorf("sts: writing signed %s: %w", s.layout.Name, err)
	}
	return out, nil
}

// envelop returns a copy of el with an enveloped ds:Signature in its
// place. goxmldsig's SignEnveloped canonicalizes the element it digests in
// place and returns that mutated tree, which moves namespace declarations
// off the elements that declared them; that breaks QNames in attribute
// values (the metadata's xsi:type="fed:…"). So the digest is taken over a
// throwaway copy and the signature added to an untouched copy. The
// enveloped-signature transform removes the signature wherever it sits,
// so the place does not change the digest.
func (s *Signer) envelop(ctx *dsig.SigningContext, el *etree.Element) (*etree.Element, error) {
	at := -1 // append
	switch s.layout.Place {
	case PlaceFirst:
		at = 0
	case PlaceAfter:
		prev := xmlsafe.Child(el, s.layout.AfterNS, s.layout.AfterTag)
		if prev == nil {
			return nil, fmt.Errorf("no %s child to put the signature after", s.layout.AfterTag)
		}
		at = prev.Index() + 1
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
	return out, nil
}
