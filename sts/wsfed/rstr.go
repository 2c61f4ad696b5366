package wsfed

import (
	"bytes"
	"time"

	"github.com/claimgate/claimgate/sts/internal/xmltext"
	"github.com/claimgate/claimgate/sts/saml11"
)

// WS-Trust 2005/02 names of the RSTR AD FS itself emits.
const (
	NSTrust2005      = "http://schemas.xmlsoap.org/ws/2005/02/trust"
	NSWSUtility      = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	NSPolicy         = "http://schemas.xmlsoap.org/ws/2004/09/policy"
	NSAddressing     = "http://www.w3.org/2005/08/addressing"
	RequestTypeIssue = "http://schemas.xmlsoap.org/ws/2005/02/trust/Issue"
	KeyTypeNoProof   = "http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey"
)

// BuildRSTR wraps a signed assertion in a single WS-Trust 2005/02
// RequestSecurityTokenResponse, byte for byte the shape of AD FS's own
// (protocol notes §2). The wrapper is written by hand around the signed
// bytes so that nothing can re-serialize, re-indent or re-namespace the
// assertion after its digest was computed. appliesTo is wtrealm verbatim
// (it must equal the Audience).
func BuildRSTR(signedAssertion []byte, appliesTo string, created, expires time.Time) []byte {
	var b bytes.Buffer
	b.Grow(len(signedAssertion) + 1024)
	b.WriteString(`<t:RequestSecurityTokenResponse xmlns:t="` + NSTrust2005 + `">`)
	b.WriteString(`<t:Lifetime>`)
	b.WriteString(`<wsu:Created xmlns:wsu="` + NSWSUtility + `">` + xmltext.FormatTime(created) + `</wsu:Created>`)
	b.WriteString(`<wsu:Expires xmlns:wsu="` + NSWSUtility + `">` + xmltext.FormatTime(expires) + `</wsu:Expires>`)
	b.WriteString(`</t:Lifetime>`)
	b.WriteString(`<wsp:AppliesTo xmlns:wsp="` + NSPolicy + `">`)
	b.WriteString(`<wsa:EndpointReference xmlns:wsa="` + NSAddressing + `">`)
	b.WriteString(`<wsa:Address>` + xmltext.EscapeText(appliesTo) + `</wsa:Address>`)
	b.WriteString(`</wsa:EndpointReference></wsp:AppliesTo>`)
	b.WriteString(`<t:RequestedSecurityToken>`)
	b.Write(signedAssertion)
	b.WriteString(`</t:RequestedSecurityToken>`)
	b.WriteString(`<t:TokenType>` + saml11.TokenType + `</t:TokenType>`)
	b.WriteString(`<t:RequestType>` + RequestTypeIssue + `</t:RequestType>`)
	b.WriteString(`<t:KeyType>` + KeyTypeNoProof + `</t:KeyType>`)
	b.WriteString(`</t:RequestSecurityTokenResponse>`)
	return b.Bytes()
}
