package xmlsig

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"

	"github.com/beevik/etree"

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
	layout  Layout
	key     crypto.Signer
	certB64 string // KeyInfo's X509Certificate, encoded once
	// scratch holds *bytes.Buffer for the canonical form, SignedInfo and
	// ds:Signature, which do not outlive Sign: reused, they spare every
	// token an 8 KiB allocation and its zeroing.
	scratch sync.Pool
}

// maxScratch bounds the buffers kept in scratch, so that one huge
// document does not pin its memory.
const maxScratch = 64 << 10

// NewSigner checks the layout and the key pair and encodes the
// certificate once. Build it once and keep it.
func NewSigner(key crypto.Signer, cert *x509.Certificate, l Layout) (*Signer, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	if err := CheckKeyPair(key, cert); err != nil {
		return nil, fmt.Errorf("sts: signer: %w", err)
	}
	return &Signer{layout: l, key: key, certB64: base64.StdEncoding.EncodeToString(cert.Raw)}, nil
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

// Sign signs el (enveloped, exclusive C14N, Reference "#" + its ID
// attribute, the certificate in KeyInfo) with the algorithm name alg (""
// is rsa-sha256), puts the signature where the layout says and serializes
// the result once. The returned bytes must be spliced into any wrapper
// untouched. el itself is not changed, copied or re-parented.
//
// The bytes are those goxmldsig's SigningContext (exclusive C14N, prefix
// "ds", IdAttribute from the layout) and xmltext.Serialize made before
// (sign_ref_test.go keeps that path as the reference and compares): the
// digest is over the canonical form of el without the signature (which
// is what the enveloped-signature transform leaves, wherever the
// signature sits), and SignedInfo is written from its fixed template
// (signedinfo.go) instead of being built as a tree and canonicalized.
func (s *Signer) Sign(el *etree.Element, alg string) ([]byte, error) {
	a, ok := algorithmFor(alg)
	if !ok {
		return nil, fmt.Errorf("sts: unknown signature algorithm %q", alg)
	}
	out, err := s.sign(el, a)
	if err != nil {
		return nil, fmt.Errorf("sts: signing %s: %w", s.layout.Name, err)
	}
	return out, nil
}

func (s *Signer) sign(el *etree.Element, a algorithm) ([]byte, error) {
	at, err := s.place(el)
	if err != nil {
		return nil, err
	}
	buf, _ := s.scratch.Get().(*bytes.Buffer) // the canonical form, then SignedInfo, then ds:Signature
	if buf == nil {
		buf = bytes.NewBuffer(make([]byte, 0, 8<<10))
	}
	defer func() {
		if buf.Cap() <= maxScratch {
			buf.Reset()
			s.scratch.Put(buf)
		}
	}()
	if err := canonicalize(buf, el); err != nil {
		return nil, err
	}
	var sum, siSum [64]byte // two arrays: digest is written again below
	h := a.hash.New()
	h.Write(buf.Bytes())
	digest := h.Sum(sum[:0])
	canonicalLen := buf.Len()

	id := el.SelectAttrValue(s.layout.IDAttr, "")
	buf.Reset()
	writeSignedInfo(buf, true, a, id, digest)
	h = a.hash.New()
	h.Write(buf.Bytes())
	sigValue, err := s.key.Sign(rand.Reader, h.Sum(siSum[:0]), a.hash)
	if err != nil {
		return nil, err
	}

	buf.Reset()
	writeSignature(buf, a, id, digest, sigValue, s.certB64)
	var out bytes.Buffer
	out.Grow(canonicalLen + buf.Len() + 512)
	serializeWith(&out, el, at, buf.Bytes())
	return out.Bytes(), nil
}

// place is the token index of el the signature is inserted at (-1:
// appended), as the layout says.
func (s *Signer) place(el *etree.Element) (int, error) {
	switch s.layout.Place {
	case PlaceFirst:
		return 0, nil
	case PlaceAfter:
		prev := xmlsafe.Child(el, s.layout.AfterNS, s.layout.AfterTag)
		if prev == nil {
			return 0, fmt.Errorf("no %s child to put the signature after", s.layout.AfterTag)
		}
		return prev.Index() + 1, nil
	}
	return -1, nil
}
