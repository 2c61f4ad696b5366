package saml2

import "github.com/claimgate/claimgate/claims"

// SAML 2.0 namespaces.
const (
	NSAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	NSProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	NSXMLEnc    = "http://www.w3.org/2001/04/xmlenc#"
	NSMetadata  = "urn:oasis:names:tc:SAML:2.0:metadata"
)

// Bindings (saml-bindings-2.0-os). claimgate receives requests by
// HTTP-Redirect and HTTP-POST and answers by HTTP-POST only.
const (
	BindingRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
	BindingPOST     = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
)

// NameID formats claimgate issues. Unspecified is the SAML 1.1 URI, the
// one AD FS sends in its default NameIDPolicy (protocol notes §4).
const (
	NameIDUnspecified  = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
	NameIDEmailAddress = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	NameIDPersistent   = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	NameIDTransient    = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
)

// NameIDFormats returns every format claimgate can issue, in the order
// the metadata publishes them.
func NameIDFormats() []string {
	return []string{NameIDUnspecified, NameIDEmailAddress, NameIDPersistent, NameIDTransient}
}

// Other protocol URIs.
const (
	ConfirmationBearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
	AttrNameFormatURI  = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
	// ClassPasswordProtectedTransport is the class of a password sign-in
	// over TLS; ClassPassword the plain password class; ClassUnspecified
	// says nothing. ClassMultipleAuthn is Microsoft's class for a sign-in
	// with a second factor, the one AD FS and Entra look for.
	ClassPasswordProtectedTransport = claims.SAML2PasswordProtectedTransport
	ClassPassword                   = claims.SAML2Password
	ClassUnspecified                = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified"
	ClassMultipleAuthn              = claims.MultipleAuthn
	version                         = "2.0"
)

// Top-level status codes (saml-core-2.0-os §3.2.2.2).
const (
	StatusSuccess         = "urn:oasis:names:tc:SAML:2.0:status:Success"
	StatusRequester       = "urn:oasis:names:tc:SAML:2.0:status:Requester"
	StatusResponder       = "urn:oasis:names:tc:SAML:2.0:status:Responder"
	StatusVersionMismatch = "urn:oasis:names:tc:SAML:2.0:status:VersionMismatch"
)

// Second-level status codes claimgate uses.
const (
	StatusAuthnFailed           = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"
	StatusInvalidNameIDPolicy   = "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy"
	StatusNoAuthnContext        = "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"
	StatusNoPassive             = "urn:oasis:names:tc:SAML:2.0:status:NoPassive"
	StatusPartialLogout         = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout"
	StatusRequestDenied         = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"
	StatusRequestUnsupported    = "urn:oasis:names:tc:SAML:2.0:status:RequestUnsupported"
	StatusRequestVersionTooHigh = "urn:oasis:names:tc:SAML:2.0:status:RequestVersionTooHigh"
	StatusRequestVersionTooLow  = "urn:oasis:names:tc:SAML:2.0:status:RequestVersionTooLow"
	StatusUnknownPrincipal      = "urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal"
	StatusUnsupportedBinding    = "urn:oasis:names:tc:SAML:2.0:status:UnsupportedBinding"
)
