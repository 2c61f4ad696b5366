package wsfed

import (
	"strings"
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
	return []byte(BuildRSTRString(signedAssertion, appliesTo, created, expires))
}

// BuildRSTRString is BuildRSTR as the string Response.WResult holds,
// written once into a builder of the right size: the issuer's hot path
// makes no intermediate copy of the token.
func BuildRSTRString(signedAssertion []byte, appliesTo string, created, expires time.Time) string {
	var b strings.Builder
	b.Grow(len(signedAssertion) + 1024 + len(appliesTo))
	for _, s := range []string{
		`<t:RequestSecurityTokenResponse xmlns:t="` + NSTrust2005 + `">`,
		`<t:Lifetime>`,
		`<wsu:Created xmlns:wsu="` + NSWSUtility + `">`, xmltext.FormatTime(created), `</wsu:Created>`,
		`<wsu:Expires xmlns:wsu="` + NSWSUtility + `">`, xmltext.FormatTime(expires), `</wsu:Expires>`,
		`</t:Lifetime>`,
		`<wsp:AppliesTo xmlns:wsp="` + NSPolicy + `">`,
		`<wsa:EndpointReference xmlns:wsa="` + NSAddressing + `">`,
		`<wsa:Address>`, xmltext.EscapeText(appliesTo), `</wsa:Address>`,
		`</wsa:EndpointReference></wsp:AppliesTo>`,
		`<t:RequestedSecurityToken>`,
	} {
		b.WriteString(s)
	}
	b.Write(signedAssertion)
	b.WriteString(`</t:RequestedSecurityToken>` +
		`<t:TokenType>` + saml11.TokenType + `</t:TokenType>` +
		`<t:RequestType>` + RequestTypeIssue + `</t:RequestType>` +
		`<t:KeyType>` + KeyTypeNoProof + `</t:KeyType>` +
		`</t:RequestSecurityTokenResponse>`)
	return b.String()
}
