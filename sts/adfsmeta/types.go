package adfsmeta

import (
	"crypto/x509"
	"time"

	"github.com/claimgate/claimgate/sts/xmlsafe"
)

// DefaultMaxBytes is the size cap applied when Options.MaxBytes is zero: the
// one gate's (sts/xmlsafe). Real AD FS metadata is 30–75 KB.
const DefaultMaxBytes int64 = xmlsafe.DefaultMaxBytes

// The gate's sentinel errors, under the names rpsource and its tests use, so
// callers can tell a hostile or oversized document from a bad signature. They
// are the same values as xmlsafe's: errors.Is matches either name.
var (
	ErrTooLarge    = xmlsafe.ErrTooLarge
	ErrDeclaration = xmlsafe.ErrDeclaration
)

// Options controls how Parse trusts a document. The zero value refuses everything
// that is not signed by a pinned or trusted certificate.
type Options struct {
	// PinnedThumbprints are SHA-1 (40 hex digits) or SHA-256 (64 hex digits)
	// thumbprints of acceptable metadata signing certificates. Case, colons and
	// spaces are ignored, so values copied from AD FS (Get-AdfsCertificate) or
	// openssl both work.
	PinnedThumbprints []string
	// TrustedCerts are acceptable signing certificates, compared byte for byte.
	TrustedCerts []*x509.Certificate
	// Now is the clock used for certificate expiry warnings; nil means time.Now.
	Now func() time.Time
	// MaxBytes caps the document size; 0 means DefaultMaxBytes.
	MaxBytes int64
	// InsecureAllowUnsigned accepts a document without a signature (the
	// "RequireSignature=false" case). Only for metadata read from a file the
	// admin copied by hand; a warning is recorded.
	InsecureAllowUnsigned bool
	// InsecureTrustOnFirstUse accepts a signature by a certificate that is neither
	// pinned nor trusted, recording a warning with its thumbprint so the admin can
	// pin it. The signature itself must still be valid.
	InsecureTrustOnFirstUse bool
}

// Metadata is what claimgate needs to know about an AD FS farm.
type Metadata struct {
	// EntityID is the AD FS identifier (EntityDescriptor@entityID), e.g.
	// http://fs.example.com/adfs/services/trust; it arrives as wtrealm.
	EntityID string
	// PassiveEndpoint is the fed:PassiveRequestorEndpoint address
	// (https://host/adfs/ls/), from the SecurityTokenServiceType role or, failing
	// that, the ApplicationServiceType role.
	PassiveEndpoint string
	// AssertionConsumerServices are the SPSSODescriptor ACS entries in document order.
	AssertionConsumerServices []Endpoint
	// SigningCerts are all token-signing certificates, de-duplicated, in document order.
	SigningCerts []*x509.Certificate
	// EncryptionCert is the token-encryption certificate, if published.
	EncryptionCert *x509.Certificate
	// SignedBy is the certificate that signed the document (nil when unsigned and
	// Options.InsecureAllowUnsigned).
	SignedBy *x509.Certificate
	// Warnings are problems that do not make the document unusable, e.g.
	// "signing certificate CN=... expired 2018-01-23".
	Warnings []string
}

// Endpoint is one SAML endpoint (AssertionConsumerService).
type Endpoint struct {
	Binding   string
	Location  string
	Index     int
	IsDefault bool
}

// DefaultACS returns the HTTP-POST assertion consumer service marked
// isDefault, else the HTTP-POST one with the lowest index, else nil.
func (m *Metadata) DefaultACS() *Endpoint {
	var best *Endpoint
	for i := range m.AssertionConsumerServices {
		e := &m.AssertionConsumerServices[i]
		if e.Binding != BindingHTTPPost {
			continue
		}
		if e.IsDefault {
			return e
		}
		if best == nil || e.Index < best.Index {
			best = e
		}
	}
	return best
}

// Namespaces and bindings used in AD FS metadata.
const (
	NSMetadata      = "urn:oasis:names:tc:SAML:2.0:metadata"
	NSFed           = "http://docs.oasis-open.org/wsfed/federation/200706"
	NSAddressing    = "http://www.w3.org/2005/08/addressing"
	NSXMLDSig       = xmlsafe.NSDSig
	NSXSI           = "http://www.w3.org/2001/XMLSchema-instance"
	BindingHTTPPost = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
)
