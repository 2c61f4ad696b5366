package metadata

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"slices"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/saml2"
)

// SAML2IdPRole is the SAML 2.0 identity provider claimgate is to AD FS
// (Add-AdfsClaimsProviderTrust -ProtocolProfile SAML), Shibboleth and
// SimpleSAMLphp: an md:IDPSSODescriptor.
type SAML2IdPRole struct {
	// SSORedirect and SSOPOST are the SingleSignOnService URLs of the
	// HTTP-Redirect and HTTP-POST bindings; at least one is required.
	SSORedirect, SSOPOST string
	// SLORedirect and SLOPOST are the SingleLogoutService URLs; "" leaves
	// a binding out.
	SLORedirect, SLOPOST string
	// NameIDFormats are the formats offered, in order; empty means
	// saml2.NameIDFormats().
	NameIDFormats []string
	// WantAuthnRequestsSigned tells SPs that unsigned AuthnRequests are
	// refused; the parsers must then be told so too
	// (saml2.ParseOptions.RequireSignedRequests), or the promise is empty.
	WantAuthnRequestsSigned bool
	// EncryptionCertificates must stay empty. A use="encryption" key
	// invites SPs to encrypt to us (an EncryptedID in a LogoutRequest),
	// and sts/saml2 does not decrypt EncryptedID yet: it refuses one. The
	// field is kept, and refused by Build, until that decryption exists.
	EncryptionCertificates []*x509.Certificate
}

func (r *SAML2IdPRole) check() []error {
	var errs []error
	if r.SSORedirect == "" && r.SSOPOST == "" {
		errs = append(errs, errors.New("SAML 2.0: no single sign-on service URL"))
	}
	for _, u := range []string{r.SSORedirect, r.SSOPOST, r.SLORedirect, r.SLOPOST} {
		if p, err := url.Parse(u); u != "" && (err != nil || p.Scheme == "" || p.Host == "") {
			errs = append(errs, fmt.Errorf("SAML 2.0: endpoint %q is not an absolute URL", u))
		}
	}
	for _, f := range r.NameIDFormats {
		if !slices.Contains(saml2.NameIDFormats(), f) {
			errs = append(errs, fmt.Errorf("SAML 2.0: name ID format %q is not one claimgate issues", f))
		}
	}
	if len(r.EncryptionCertificates) > 0 {
		errs = append(errs, errors.New("SAML 2.0: encryption certificates are not published: encrypted identifiers (EncryptedID) cannot be decrypted yet"))
	}
	return errs
}

// addSAML2Role adds the IDPSSODescriptor with its children in the order
// of saml-schema-metadata-2.0.xsd: KeyDescriptors (signing, one per
// published certificate; no encryption key, see EncryptionCertificates),
// SingleLogoutService, NameIDFormat, SingleSignOnService.
func addSAML2Role(ed *etree.Element, r *SAML2IdPRole, certs []*x509.Certificate) {
	d := ed.CreateElement("md:IDPSSODescriptor")
	if r.WantAuthnRequestsSigned {
		d.CreateAttr("WantAuthnRequestsSigned", "true")
	}
	d.CreateAttr("protocolSupportEnumeration", saml2.NSProtocol)
	keyDescriptors(d, "signing", certs)
	service := func(tag, binding, location string) {
		if location == "" {
			return
		}
		s := d.CreateElement(tag)
		s.CreateAttr("Binding", binding)
		s.CreateAttr("Location", location)
	}
	service("md:SingleLogoutService", saml2.BindingRedirect, r.SLORedirect)
	service("md:SingleLogoutService", saml2.BindingPOST, r.SLOPOST)
	formats := r.NameIDFormats
	if len(formats) == 0 {
		formats = saml2.NameIDFormats()
	}
	for _, f := range formats {
		d.CreateElement("md:NameIDFormat").SetText(f)
	}
	service("md:SingleSignOnService", saml2.BindingRedirect, r.SSORedirect)
	service("md:SingleSignOnService", saml2.BindingPOST, r.SSOPOST)
}
