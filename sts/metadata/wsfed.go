package metadata

import (
	"crypto/x509"
	"errors"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts/saml11"
	"github.com/claimgate/claimgate/sts/wsfed"
)

// WS-Federation 1.2 metadata namespaces.
const (
	NSFederation    = "http://docs.oasis-open.org/wsfed/federation/200706"
	NSAuthorization = "http://docs.oasis-open.org/wsfed/authorization/200706"
)

// WSFedRole is the WS-Federation security token service claimgate is to
// AD FS: a fed:SecurityTokenServiceType RoleDescriptor.
type WSFedRole struct {
	// PassiveEndpoint is the WS-Fed passive URL, e.g. https://sts.example/wsfed.
	PassiveEndpoint string
	// SecurityTokenServiceEndpoint is required by the WS-Fed schema
	// (minOccurs=1); empty means PassiveEndpoint.
	SecurityTokenServiceEndpoint string
	// ClaimTypes are offered in fed:ClaimTypesOffered, in this order.
	ClaimTypes []claims.TypeInfo
}

func (r *WSFedRole) check() []error {
	if r.PassiveEndpoint == "" {
		return []error{errors.New("passive endpoint is empty")}
	}
	return nil
}

// addWSFedRole adds the RoleDescriptor with its children in the WS-Fed 1.2
// schema order: KeyDescriptors (one per published certificate),
// TokenTypesOffered, ClaimTypesOffered, SecurityTokenServiceEndpoint,
// PassiveRequestorEndpoint.
func addWSFedRole(ed *etree.Element, r *WSFedRole, certs []*x509.Certificate) {
	sts := r.SecurityTokenServiceEndpoint
	if sts == "" {
		sts = r.PassiveEndpoint
	}
	rd := ed.CreateElement("md:RoleDescriptor")
	rd.CreateAttr("xmlns:xsi", NSXSI)
	rd.CreateAttr("xmlns:fed", NSFederation)
	rd.CreateAttr("xsi:type", "fed:SecurityTokenServiceType")
	rd.CreateAttr("protocolSupportEnumeration", NSFederation)
	keyDescriptors(rd, "signing", certs)
	rd.CreateElement("fed:TokenTypesOffered").CreateElement("fed:TokenType").CreateAttr("Uri", saml11.TokenType)
	if len(r.ClaimTypes) > 0 {
		cto := rd.CreateElement("fed:ClaimTypesOffered")
		for _, t := range r.ClaimTypes {
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
	addEndpoint(rd, "fed:PassiveRequestorEndpoint", r.PassiveEndpoint)
}

func addEndpoint(parent *etree.Element, tag, address string) {
	epr := parent.CreateElement(tag).CreateElement("wsa:EndpointReference")
	epr.CreateAttr("xmlns:wsa", wsfed.NSAddressing)
	epr.CreateElement("wsa:Address").SetText(address)
}
