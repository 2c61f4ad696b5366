package metadata

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"

	"github.com/claimgate/claimgate/sts/internal/xmltext"
	"github.com/claimgate/claimgate/sts/xmlsafe"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// Metadata namespaces.
const (
	NSMetadata = "urn:oasis:names:tc:SAML:2.0:metadata"
	NSXSI      = "http://www.w3.org/2001/XMLSchema-instance"
)

// Config describes the one EntityDescriptor claimgate publishes. The
// entity-wide fields come first; each role claimgate plays has its own
// field, nil when it is not published.
type Config struct {
	// EntityID is our identifier, the same as the issuer's.
	EntityID string
	// Certificates are all published signing certificates, current first,
	// so a new key can be rolled in before it signs.
	Certificates []*x509.Certificate
	// Signer and SigningCertificate sign the metadata itself; the
	// certificate must be one of Certificates.
	Signer             crypto.Signer
	SigningCertificate *x509.Certificate
	Now                func() time.Time // nil = time.Now; only for validUntil
	NewID              func() string    // nil = "_" + random UUID
	// ValidFor, when > 0, adds validUntil = now + ValidFor.
	ValidFor time.Duration

	// WSFed is the WS-Federation security token service role.
	WSFed *WSFedRole
	// SAML2 is the SAML 2.0 identity provider role (saml2.go).
	SAML2 *SAML2IdPRole
}

func (cfg *Config) check() error {
	var errs []error
	if cfg.EntityID == "" {
		errs = append(errs, errors.New("entity ID is empty"))
	}
	if cfg.WSFed == nil && cfg.SAML2 == nil {
		errs = append(errs, errors.New("no role to publish"))
	}
	if cfg.WSFed != nil {
		errs = append(errs, cfg.WSFed.check()...)
	}
	if cfg.SAML2 != nil {
		errs = append(errs, cfg.SAML2.check()...)
	}
	if len(cfg.Certificates) == 0 {
		errs = append(errs, errors.New("no signing certificates to publish"))
	}
	if err := xmlsig.CheckKeyPair(cfg.Signer, cfg.SigningCertificate); err != nil {
		errs = append(errs, err)
	} else if !containsCert(cfg.Certificates, cfg.SigningCertificate) {
		errs = append(errs, errors.New("metadata signing certificate is not among the published certificates"))
	}
	for i, c := range cfg.Certificates {
		if c == nil {
			errs = append(errs, fmt.Errorf("certificate %d is nil", i))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("sts: metadata config: %w", errors.Join(errs...))
	}
	return nil
}

func containsCert(list []*x509.Certificate, c *x509.Certificate) bool {
	for _, x := range list {
		if x != nil && bytes.Equal(x.Raw, c.Raw) {
			return true
		}
	}
	return false
}

// layout is where SAML metadata wants its signature: the Reference names
// ID, and ds:Signature is the first child, as the schema demands.
func layout() xmlsig.Layout {
	return xmlsig.Layout{Name: "metadata", IDAttr: "ID", Place: xmlsig.PlaceFirst}
}

// Build makes one signed EntityDescriptor holding a descriptor for each
// role in cfg. The ds:Signature (with KeyInfo, which AD FS requires) is
// the first child, as the SAML metadata schema demands. Build it once and
// cache the bytes.
func Build(cfg Config) ([]byte, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = func() string { return "_" + uuid.NewString() }
	}
	id := cfg.NewID()
	if !xmltext.IsNCName(id) {
		return nil, fmt.Errorf("sts: metadata ID %q is not an NCName", id)
	}

	ed := etree.NewElement("md:EntityDescriptor")
	ed.CreateAttr("xmlns:md", NSMetadata)
	ed.CreateAttr("ID", id)
	ed.CreateAttr("entityID", cfg.EntityID)
	if cfg.ValidFor > 0 {
		ed.CreateAttr("validUntil", xmltext.FormatTime(cfg.Now().Add(cfg.ValidFor)))
	}
	if cfg.WSFed != nil {
		addWSFedRole(ed, cfg.WSFed, cfg.Certificates)
	}
	if cfg.SAML2 != nil {
		addSAML2Role(ed, cfg.SAML2, cfg.Certificates)
	}

	if err := checkTree(ed); err != nil {
		return nil, err
	}
	s, err := xmlsig.NewSigner(cfg.Signer, cfg.SigningCertificate, layout())
	if err != nil {
		return nil, err
	}
	return s.Sign(ed, xmlsig.AlgRSASHA256)
}

// keyDescriptors adds one md:KeyDescriptor for use per certificate, each
// with the certificate in ds:KeyInfo, to a role descriptor.
func keyDescriptors(role *etree.Element, use string, certs []*x509.Certificate) {
	for _, c := range certs {
		kd := role.CreateElement("md:KeyDescriptor")
		kd.CreateAttr("use", use)
		ki := kd.CreateElement("ds:KeyInfo")
		ki.CreateAttr("xmlns:ds", xmlsafe.NSDSig)
		ki.CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").SetText(base64.StdEncoding.EncodeToString(c.Raw))
	}
}

// checkTree refuses any attribute or text XML 1.0 cannot carry.
func checkTree(el *etree.Element) error {
	for _, a := range el.Attr {
		if err := xmltext.CheckText("sts: attribute "+a.FullKey(), a.Value); err != nil {
			return err
		}
	}
	if err := xmltext.CheckText("sts: text of "+el.FullTag(), el.Text()); err != nil {
		return err
	}
	for _, c := range el.ChildElements() {
		if err := checkTree(c); err != nil {
			return err
		}
	}
	return nil
}
