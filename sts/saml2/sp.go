package saml2

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"slices"

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
	// ResponseLocation, for a SingleLogoutService, is where responses go
	// when it differs from Location.
	ResponseLocation string
}

// Encryption algorithm names (SP.EncryptionMethod).
const (
	// EncAES256GCM is AES-256-GCM (xmlenc11) content encryption; the key
	// travels RSA-OAEP (MGF1 and digest SHA-1). The default.
	EncAES256GCM = "aes256-gcm"
	// EncAES128CBC is AES-128-CBC content encryption with the same key
	// transport, for service providers that predate XML Encryption 1.1
	// (Shibboleth's choice towards AD FS, protocol notes §4).
	EncAES128CBC = "aes128-cbc"
)

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
	// Assertion; EncryptionMethod is EncAES256GCM ("" means the same) or
	// EncAES128CBC.
	EncryptAssertions bool
	EncryptionMethod  string
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
	for i, e := range sp.ACS {
		if !absoluteURL(e.Location) {
			errs = append(errs, fmt.Errorf("assertion consumer service %d: location %q is not an absolute URL", i, e.Location))
		}
	}
	for i, e := range sp.SLO {
		if !absoluteURL(e.Location) || (e.ResponseLocation != "" && !absoluteURL(e.ResponseLocation)) {
			errs = append(errs, fmt.Errorf("single logout service %d: location is not an absolute URL", i))
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
		if !slices.Contains([]string{"", EncAES256GCM, EncAES128CBC}, sp.EncryptionMethod) {
			errs = append(errs, fmt.Errorf("encryption method %q is not %q or %q", sp.EncryptionMethod, EncAES256GCM, EncAES128CBC))
		}
	}
	if sp.NameIDFormat != "" && !slices.Contains(NameIDFormats(), sp.NameIDFormat) {
		errs = append(errs, fmt.Errorf("name ID format %q is not supported", sp.NameIDFormat))
	}
	return errors.Join(errs...)
}

func absoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// DefaultACS returns the HTTP-POST assertion consumer service marked
// isDefault, else the HTTP-POST one with the lowest index, else nil
// (saml-metadata-2.0-os §2.2.3: isDefault first, then the first without
// isDefault="false"; AD FS marks index 0 as default).
func (sp *SP) DefaultACS() *Endpoint {
	var best *Endpoint
	for i := range sp.ACS {
		e := &sp.ACS[i]
		if e.Binding != BindingPOST {
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
