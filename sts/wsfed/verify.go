package wsfed

import (
	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/internal/xmltext"
	"github.com/claimgate/claimgate/sts/saml11"
	"github.com/claimgate/claimgate/sts/xmlsafe"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// VerifyResult verifies a wresult: a single WS-Trust 2005/02
// RequestSecurityTokenResponse carrying one signed SAML 1.1 assertion,
// whose AppliesTo, when present, must equal the assertion's Audience.
// Refusals are *xmlsig.VerifyError.
func VerifyResult(wresult []byte, opts saml11.VerifyOptions) (*saml11.Token, error) {
	root, err := saml11.ReadUntrusted(wresult, opts)
	if err != nil {
		return nil, err
	}
	if !xmlsafe.Is(root, NSTrust2005, "RequestSecurityTokenResponse") {
		return nil, xmlsig.Reject(xmlsig.FaultStructure, nil, "root is %s, want t:RequestSecurityTokenResponse (WS-Trust 2005/02)", root.FullTag())
	}
	rst := xmlsafe.Children(root, NSTrust2005, "RequestedSecurityToken")
	if len(rst) != 1 {
		return nil, xmlsig.Reject(xmlsig.FaultStructure, nil, "%d RequestedSecurityToken elements, want 1", len(rst))
	}
	inner := rst[0].ChildElements()
	if len(inner) != 1 || !xmlsafe.Is(inner[0], saml11.NSAssertion, "Assertion") {
		return nil, xmlsig.Reject(xmlsig.FaultStructure, nil, "RequestedSecurityToken must hold exactly one SAML 1.1 assertion")
	}
	// Carry namespaces declared on the wrapper into the detached copy.
	assertion, err := xmlsafe.Detach(inner[0])
	if err != nil {
		return nil, xmlsig.Reject(xmlsig.FaultMalformed, err, "namespaces")
	}
	tok, err := saml11.VerifyElement(assertion, opts)
	if err != nil {
		return nil, err
	}
	var addrs []*etree.Element
	for _, at := range xmlsafe.Children(root, NSPolicy, "AppliesTo") {
		for _, epr := range xmlsafe.Children(at, NSAddressing, "EndpointReference") {
			addrs = append(addrs, xmlsafe.Children(epr, NSAddressing, "Address")...)
		}
	}
	for _, a := range addrs {
		if a.Text() != tok.Audience {
			return nil, xmlsig.Reject(xmlsig.FaultAudience, nil, "AppliesTo %q differs from Audience %q", xmltext.Clip(a.Text()), xmltext.Clip(tok.Audience))
		}
	}
	return tok, nil
}
