package sts

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

	"github.com/claimgate/claimgate/claims"
)

// Metadata namespaces.
const (
	NSMetadata      = "urn:oasis:names:tc:SAML:2.0:metadata"
	NSFederation    = "http://docs.oasis-open.org/wsfed/federation/200706"
	NSAuthorization = "http://docs.oasis-open.org/wsfed/authorization/200706"
	NSXSI           = "http://www.w3.org/2001/XMLSchema-instance"
)

// MetadataConfig describes the federation metadata AD FS imports with
// Add-AdfsClaimsProviderTrust -MetadataUrl.
type MetadataConfig struct {
	EntityID string
	// PassiveEndpoint is the WS-Fed passive URL, e.g. https://sts.example/wsfed.
	PassiveEndpoint string
	// SecurityTokenServiceEndpoint is required by the WS-Fed schema
	// (minOccurs=1); empty means PassiveEndpoint.
	SecurityTokenServiceEndpoint string
	// Certificates are all published signing certificates, current first,
	// so a new key can be rolled in before it signs.
	Certificates []*x509.Certificate
	// ClaimTypes are offered in fed:ClaimTypesOffered, in this order.
	ClaimTypes []claims.TypeInfo
	// Signer and SigningCertificate sign the metadata itself; the
	// certificate must be one of Certificates.
	Signer             crypto.Signer
	SigningCertificate *x509.Certificate
	Now                func() time.Time // nil = time.Now; only for validUntil
	NewID              func() string    // nil = "_" + random UUID
	// ValidFor, when > 0, adds validUntil = now + ValidFor.
	ValidFor time.Duration
}

func (cfg *MetadataConfig) check() error {
	var errs []error
	for _, f := range []struct{ name, v string }{
		{"entity ID", cfg.EntityID}, {"passive endpoint", cfg.PassiveEndpoint},
	} {
		if f.v == "" {
			errs = append(errs, fmt.Errorf("%s is empty", f.name))
		}
	}
	if len(cfg.Certificates) == 0 {
		errs = append(errs, errors.New("no signing certificates to publish"))
	}
	if err := checkKeyPair(cfg.Signer, cfg.SigningCertificate); err != nil {
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

// BuildMetadata makes one signed EntityDescriptor with a
// fed:SecurityTokenServiceType RoleDescriptor whose children follow the
// WS-Fed 1.2 schema order. The ds:Signature (with KeyInfo, which AD FS
// requires) is moved to the first child, as the SAML metadata schema
// demands. Build it once and cache the bytes.
func BuildMetadata(cfg MetadataConfig) ([]byte, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = func() string { return "_" + uuid.NewString() }
	}
	sts := cfg.SecurityTokenServiceEndpoint
	if sts == "" {
		sts = cfg.PassiveEndpoint
	}
	id := cfg.NewID()
	if !isNCName(id) {
		return nil, fmt.Errorf("sts: metadata ID %q is not an NCName", id)
	}

	ed := etree.NewElement("md:EntityDescriptor")
	ed.CreateAttr("xmlns:md", NSMetadata)
	ed.CreateAttr("ID", id)
	ed.CreateAttr("entityID", cfg.EntityID)
	if cfg.ValidFor > 0 {
		ed.CreateAttr("validUntil", formatTime(cfg.Now().Add(cfg.ValidFor)))
	}
	rd := ed.CreateElement("md:RoleDescriptor")
	rd.CreateAttr("xmlns:xsi", NSXSI)
	rd.CreateAttr("xmlns:fed", NSFederation)
	rd.CreateAttr("xsi:type", "fed:SecurityTokenServiceType")
	rd.CreateAttr("protocolSupportEnumeration", NSFederation)
	for _, c := range cfg.Certificates {
		kd := rd.CreateElement("md:KeyDescriptor")
		kd.CreateAttr("use", "signing")
		ki := kd.CreateElement("ds:KeyInfo")
		ki.CreateAttr("xmlns:ds", NSDSig)
		ki.CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").SetText(base64.StdEncoding.EncodeToString(c.Raw))
	}
	rd.CreateElement("fed:TokenTypesOffered").CreateElement("fed:TokenType").CreateAttr("Uri", TokenTypeSAML11)
	if len(cfg.ClaimTypes) > 0 {
		cto := rd.CreateElement("fed:ClaimTypesOffered")
		for _, t := range cfg.ClaimTypes {
			ct := cto.CreateElement("auth:ClaimType")
			ct.CreateAttr("xmlns:auth", NSAuthorization)
			ct.CreateAttr("Uri", t.URI)
			ct.CreateAttr("Optional", "true")
			name := t.DisplayName
			if name == "" {
				name = claims.Lookup(t.URI).DisplayName
			}
			ct.CreateElement("auth:DisplayName").SetText(name)
			if t.Description != "" {
				ct.CreateElement("auth:Description").SetText(t.Description)
			}
		}
	}
	addEndpoint(rd, "fed:SecurityTokenServiceEndpoint", sts)
	addEndpoint(rd, "fed:PassiveRequestorEndpoint", cfg.PassiveEndpoint)

	if err := checkTree(ed); err != nil {
		return nil, err
	}
	ctx, err := newSigningContext(cfg.Signer, cfg.SigningCertificate, crypto.SHA256, "ID")
	if err != nil {
		return nil, err
	}
	// The SAML metadata schema wants the signature first; the
	// enveloped-signature transform removes it wherever it sits.
	signed, err := signEnveloped(ctx, ed, true)
	if err != nil {
		return nil, fmt.Errorf("sts: signing metadata: %w", err)
	}
	return serialize(signed)
}

func addEndpoint(parent *etree.Element, tag, address string) {
	epr := parent.CreateElement(tag).CreateElement("wsa:EndpointReference")
	epr.CreateAttr("xmlns:wsa", NSAddressing)
	epr.CreateElement("wsa:Address").SetText(address)
}

// checkTree refuses any attribute or text XML 1.0 cannot carry.
func checkTree(el *etree.Element) error {
	for _, a := range el.Attr {
		if err := checkXMLText("sts: attribute "+a.FullKey(), a.Value); err != nil {
			return err
		}
	}
	if err := checkXMLText("sts: text of "+el.FullTag(), el.Text()); err != nil {
		return err
	}
	for _, c := range el.ChildElements() {
		if err := checkTree(c); err != nil {
			return err
		}
	}
	return nil
}
