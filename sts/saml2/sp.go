package saml2

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/claimgate/claimgate/sts/xmlsig"
)

// Endpoint is one SAML endpoint of a service provider: an
// AssertionConsumerService (Index, IsDefault) or a SingleLogoutService
// (ResponseLocation).
type Endpoint struct {
	Binding  string
	Location string
	// Index and IsDefault are the ACS's index and isDefault attributes.
	Index     int
	IsDefault bool
	// NotDefault is an explicit isDefault="false": the endpoint is the
	// default only when every HTTP-POST endpoint says so (metadata
	// §2.2.3). IsDefault and NotDefault false is an absent attribute.
	NotDefault bool
	// ResponseLocation, for a SingleLogoutService, is where responses go
	// when it differs from Location.
	ResponseLocation string
}

// Encryption algorithm names (SP.EncryptionMethod). The content key
// always travels RSA-OAEP (rsa-oaep-mgf1p: MGF1 and digest SHA-1).
//
// The default is AES-256-GCM: authenticated encryption, which every
// current SAML SP decrypts (Shibboleth 3+, SimpleSAMLphp 2, pysaml2). AES-CBC
// has no MAC and is malleable, so it is used only for an SP that asks for
// it: one whose metadata lists it (md:EncryptionMethod, read by
// SPFromMetadata), one configured so, or AD FS. AD FS decrypts with .NET's
// EncryptedXml, which knows aes128-cbc, aes192-cbc and aes256-cbc with
// rsa-oaep-mgf1p but no xmlenc11 algorithm, so a GCM assertion fails
// there; SPFromMetadata therefore sets EncAES256CBC for metadata that
// carries AD FS's WS-Federation roles (SP.ADFS). The assertion inside is
// signed either way, and the SP verifies the signature after decrypting.
const (
	// EncAES256CBC is AES-256-CBC (xmlenc-core), for AD FS and older SPs.
	EncAES256CBC = "aes256-cbc"
	// EncAES128CBC is AES-128-CBC, for service providers that ask for it
	// (Shibboleth's choice towards AD FS, protocol notes §4).
	EncAES128CBC = "aes128-cbc"
	// EncAES256GCM is AES-256-GCM (xmlenc11), authenticated encryption:
	// the default ("").
	EncAES256GCM = "aes256-gcm"
)

// encryptionURI maps an SP.EncryptionMethod name to its algorithm URI
// and key length; "" is the default.
func encryptionURI(method string) (uri string, keyLen int, ok bool) {
	switch method {
	case EncAES256CBC:
		return EncMethodAES256CBC, 32, true
	case EncAES128CBC:
		return EncMethodAES128CBC, 16, true
	case "", EncAES256GCM:
		return EncMethodAES256GCM, 32, true
	}
	return "", 0, false
}

// encryptionName is encryptionURI backwards: the name of a content
// encryption algorithm URI we implement, or "".
func encryptionName(uri string) string {
	for _, m := range []string{EncAES256CBC, EncAES128CBC, EncAES256GCM} {
		if u, _, _ := encryptionURI(m); u == uri {
			return m
		}
	}
	return ""
}

// SP is one SAML 2.0 service provider claimgate issues assertions to: an
// AD FS farm (Add-AdfsClaimsProviderTrust -ProtocolProfile SAML),
// Shibboleth or SimpleSAMLphp. SPFromMetadata fills one from the SP's
// metadata; the caller may then adjust the fields that are our choice.
type SP struct {
	// EntityID is the SP's entity ID: the AuthnRequest Issuer and our
	// Audience, e.g. http://adfs.example.com/adfs/services/trust.
	EntityID string
	// ACS are the registered assertion consumer services. A response goes
	// only to one of them, whatever the request says.
	ACS []Endpoint
	// ValidUntil is the earliest validUntil of the metadata this SP was
	// read from (zero: none, or configured by hand). Past it the metadata
	// may name endpoints and keys the SP gave up, so whoever keeps the SP
	// must stop answering it (Expired), even while no newer copy arrives.
	ValidUntil time.Time
	// SLO are the SP's single logout services, where a LogoutResponse goes.
	SLO []Endpoint
	// SigningCerts verify the SP's signed requests (AuthnRequest,
	// LogoutRequest), all of them during the SP's key rollover. An
	// HTTP-POST signature must carry its certificate in KeyInfo, equal to
	// one of these byte for byte (xmlsig's rule).
	SigningCerts []*x509.Certificate
	// EncryptionCert is the SP's encryption certificate; assertions are
	// encrypted to it when EncryptAssertions is set.
	EncryptionCert *x509.Certificate
	// EncryptAssertions sends an EncryptedAssertion instead of the
	// Assertion; EncryptionMethod is EncAES256GCM ("" means the same),
	// EncAES256CBC or EncAES128CBC (see the constants for when CBC is
	// used).
	EncryptAssertions bool
	EncryptionMethod  string
	// ADFS is set by SPFromMetadata when the metadata carries AD FS's
	// WS-Federation roles (fed:SecurityTokenServiceType or
	// fed:ApplicationServiceType RoleDescriptors): the SP is an AD FS farm,
	// and decrypts only AES-CBC.
	ADFS bool
	// WantAssertionsSigned is what the SP's metadata says. claimgate signs
	// every assertion regardless; the field is kept for reports.
	WantAssertionsSigned bool
	// SignResponse signs the samlp:Response as well as the assertion.
	SignResponse bool
	// AuthnRequestsSigned refuses AuthnRequests without a valid signature
	// by one of SigningCerts.
	AuthnRequestsSigned bool
	// InsecureUnsignedLogout accepts LogoutRequests without a signature.
	// The SAML profiles require logout requests to be authenticated
	// (saml-profiles-2.0-os §4.4.4.1): without a signature anyone can end a
	// user's session.
	InsecureUnsignedLogout bool
	// NameIDFormat is the format issued when the request names none (or
	// unspecified); "" means unspecified. A request naming another
	// specific format is refused with InvalidNameIDPolicy.
	NameIDFormat string
	// NameIDFormats are further formats a request may name. Empty (the
	// usual case, and what SPFromMetadata leaves) pins the SP to
	// NameIDFormat: the request, unsigned and editable by the user, does
	// not choose which identifier namespace the SP sees.
	NameIDFormats []string
	// InsecureHTTP accepts plain-http ACS and SLO locations: only for
	// tests and lab setups, since a bearer assertion over http can be
	// read and replayed by anyone on the path.
	InsecureHTTP bool
	// SignatureAlgorithm is xmlsig.AlgRSASHA256 ("" is the same) or
	// xmlsig.AlgRSASHA1: what we sign with for this SP, and the weakest
	// signature accepted on its requests.
	SignatureAlgorithm string
}

// Validate reports configuration problems of the SP.
func (sp *SP) Validate() error {
	var errs []error
	if sp.EntityID == "" {
		errs = append(errs, errors.New("entity ID is empty"))
	}
	if sp.DefaultACS() == nil {
		errs = append(errs, errors.New("no HTTP-POST assertion consumer service"))
	}
	want := "an absolute https URL"
	if sp.InsecureHTTP {
		want = "an absolute URL"
	}
	for i, e := range sp.ACS {
		if !sp.endpointURL(e.Location) {
			errs = append(errs, fmt.Errorf("assertion consumer service %d: location %q is not %s", i, e.Location, want))
		}
	}
	for i, e := range sp.SLO {
		if !sp.endpointURL(e.Location) || (e.ResponseLocation != "" && !sp.endpointURL(e.ResponseLocation)) {
			errs = append(errs, fmt.Errorf("single logout service %d: location is not %s", i, want))
		}
	}
	if err := xmlsig.CheckAlgorithm(sp.SignatureAlgorithm); err != nil {
		errs = append(errs, err)
	}
	if sp.AuthnRequestsSigned && len(sp.SigningCerts) == 0 {
		errs = append(errs, errors.New("signed authentication requests are required but no signing certificate is configured"))
	}
	if sp.EncryptAssertions {
		if sp.EncryptionCert == nil {
			errs = append(errs, errors.New("assertion encryption is on but no encryption certificate is configured"))
		} else if _, ok := sp.EncryptionCert.PublicKey.(*rsa.PublicKey); !ok {
			errs = append(errs, errors.New("encryption certificate has no RSA key"))
		}
		if _, _, ok := encryptionURI(sp.EncryptionMethod); !ok {
			errs = append(errs, fmt.Errorf("encryption method %q is not %q, %q or %q", sp.EncryptionMethod, EncAES256CBC, EncAES128CBC, EncAES256GCM))
		}
	}
	for _, f := range append([]string{sp.NameIDFormat}, sp.NameIDFormats...) {
		if f != "" && !slices.Contains(NameIDFormats(), f) {
			errs = append(errs, fmt.Errorf("name ID format %q is not supported", f))
		}
	}
	return errors.Join(errs...)
}

// endpointURL reports whether s is an absolute https URL (http too when
// the SP is InsecureHTTP): assertions are bearer tokens.
func (sp *SP) endpointURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Host != "" && (u.Scheme == "https" || (u.Scheme == "http" && sp.InsecureHTTP))
}

// DefaultACS returns the default HTTP-POST assertion consumer service,
// or nil, by saml-metadata-2.0-os §2.2.3 among the HTTP-POST endpoints
// (the only binding we answer by): the first marked isDefault="true",
// else the first without isDefault="false", else the first, in the order
// of ACS (document order; index plays no part). AD FS marks index 0 as
// default.
func (sp *SP) DefaultACS() *Endpoint {
	var unmarked, first *Endpoint
	for i := range sp.ACS {
		e := &sp.ACS[i]
		if e.Binding != BindingPOST {
			continue
		}
		if e.IsDefault {
			return e
		}
		if unmarked == nil && !e.NotDefault {
			unmarked = e
		}
		if first == nil {
			first = e
		}
	}
	if unmarked != nil {
		return unmarked
	}
	return first
}

// sloFor returns the SP's single logout service for binding, or nil.
func (sp *SP) sloFor(binding string) *Endpoint {
	for i := range sp.SLO {
		if sp.SLO[i].Binding == binding {
			return &sp.SLO[i]
		}
	}
	return nil
}

// SPs finds a service provider by its exact entity ID.
type SPs interface {
	SP(entityID string) (*SP, bool)
}

// SPList is the simplest SPs: a slice searched linearly.
type SPList []SP

var _ SPs = SPList(nil)

// SP returns a copy of the service provider whose EntityID equals entityID.
func (l SPList) SP(entityID string) (*SP, bool) {
	for i := range l {
		if l[i].EntityID == entityID {
			sp := l[i]
			return &sp, true
		}
	}
	return nil, false
}

// Expired reports whether sp came from metadata whose validUntil has
// passed at now.
func (sp *SP) Expired(now time.Time) bool {
	return !sp.ValidUntil.IsZero() && !now.Before(sp.ValidUntil)
}
