package config

import (
	"strings"
	"time"

	"github.com/claimgate/claimgate/sts/saml2"
)

// Paths below base_url of the SAML 2.0 identity provider.
const (
	SAML2SSOPath = "/saml2/sso"
	SAML2SLOPath = "/saml2/slo"
)

// SAML2 is claimgate as a SAML 2.0 identity provider (the saml2:
// section): AD FS trusts it with Add-AdfsClaimsProviderTrust
// -ProtocolProfile SAML. Off unless Enabled.
type SAML2 struct {
	Enabled bool
	// WantAuthnRequestsSigned refuses unsigned AuthnRequests from every
	// SP and says so in the metadata. AD FS sends unsigned requests by
	// default, hence off.
	WantAuthnRequestsSigned bool
	ServiceProviders        []ServiceProvider
	// PersistentIDKey is the HMAC key of persistent NameIDs (32 bytes);
	// unset, the persistent format is not offered.
	PersistentIDKey Secret
}

// ServiceProvider is one SAML 2.0 SP: by hand (EntityID, ACSURL) or from
// its metadata (a file, or an https URL refreshed on an interval).
type ServiceProvider struct {
	Name     string
	EntityID string // "" when it comes from Metadata
	ACSURL   string // "" when it comes from Metadata
	// SLOURL is the SP's HTTP-POST single logout service; "" for none
	// (metadata supplies its own).
	SLOURL   string
	Metadata *SPMetadata
	// SigningCert is the SP's request-signing certificate (PEM file), for
	// signed AuthnRequests and LogoutRequests; metadata supplies its own.
	SigningCert string
	// Encryption encrypts assertions to the SP's encryption certificate
	// from its metadata.
	Encryption bool
	// EncryptionMethod is saml2.EncAES256CBC, EncAES128CBC or
	// EncAES256GCM; "" leaves the choice to the SP's metadata (its
	// md:EncryptionMethod list), else saml2's default: AES-256-CBC for AD
	// FS, AES-256-GCM for every other SP.
	EncryptionMethod string
	// NameIDFormat is a full format URI (short names are expanded by
	// Load); "" means unspecified (the UPN).
	NameIDFormat string
	// SignResponse signs the samlp:Response as well as the assertion.
	SignResponse bool
	// AuthnRequestsSigned refuses this SP's unsigned AuthnRequests (its
	// metadata's AuthnRequestsSigned="true" does too).
	AuthnRequestsSigned bool
	// SignatureAlgorithm defaults from signing.signature_algorithm.
	SignatureAlgorithm string
}

// SPMetadata is where an SP's SAML metadata is read (AD FS publishes it
// at /FederationMetadata/2007-06/FederationMetadata.xml), exactly one of
// URL and File, as for relying_parties[].metadata.
type SPMetadata struct {
	URL  string // https only; the last good copy is kept in data_dir
	File string
	// RefreshInterval is how often URL is fetched again (URL only).
	RefreshInterval time.Duration
	// SigningThumbprints pin the certificate the metadata is signed with
	// (upper-case hex SHA-1 or SHA-256).
	SigningThumbprints []string
	// InsecureAllowUnsigned reads a document without a signature when no
	// thumbprint is given (a file copied by hand from a trusted source).
	InsecureAllowUnsigned bool
}

// SAML2SSOURL and SAML2SLOURL are the endpoints published in the metadata.
func (c *Config) SAML2SSOURL() string { return c.urlFor(SAML2SSOPath) }

// SAML2SLOURL is the single logout endpoint.
func (c *Config) SAML2SLOURL() string { return c.urlFor(SAML2SLOPath) }

// PersistentKey decodes persistent_id_key: 32 bytes as hex or base64,
// like mfa.encryption_key.
func (s SAML2) PersistentKey() ([]byte, error) {
	return MFA{EncryptionKey: s.PersistentIDKey}.Key()
}

// NameIDFormats are the formats claimgate offers: persistent only with a
// key.
func (s SAML2) NameIDFormats() []string {
	var out []string
	for _, f := range saml2.NameIDFormats() {
		if f != saml2.NameIDPersistent || s.PersistentIDKey.IsSet() {
			out = append(out, f)
		}
	}
	return out
}

// nameIDFormats are the short names name_id_format accepts.
var nameIDFormats = map[string]string{
	"unspecified": saml2.NameIDUnspecified,
	"email":       saml2.NameIDEmailAddress,
	"persistent":  saml2.NameIDPersistent,
	"transient":   saml2.NameIDTransient,
}

// nameIDFormat expands a short name; a URI is kept as written.
func nameIDFormat(s string) string {
	s = strings.TrimSpace(s)
	if u, ok := nameIDFormats[strings.ToLower(s)]; ok {
		return u
	}
	return s
}

type fileSAML2 struct {
	Enabled                 bool       `yaml:"enabled"`
	WantAuthnRequestsSigned bool       `yaml:"want_authn_requests_signed"`
	ServiceProviders        []fileSP   `yaml:"service_providers"`
	PersistentIDKey         secretSpec `yaml:"persistent_id_key"`
}

type fileSP struct {
	Name                string          `yaml:"name"`
	EntityID            string          `yaml:"entity_id"`
	ACSURL              string          `yaml:"acs_url"`
	SLOURL              string          `yaml:"slo_url"`
	Metadata            *fileSPMetadata `yaml:"metadata"`
	SigningCert         string          `yaml:"signing_cert"`
	Encryption          bool            `yaml:"encryption"`
	EncryptionMethod    string          `yaml:"encryption_method"`
	NameIDFormat        string          `yaml:"name_id_format"`
	SignResponse        bool            `yaml:"sign_response"`
	AuthnRequestsSigned bool            `yaml:"authn_requests_signed"`
	SignatureAlgorithm  string          `yaml:"signature_algorithm"`
}

type fileSPMetadata struct {
	File                  string   `yaml:"file"`
	URL                   string   `yaml:"url"`
	RefreshInterval       string   `yaml:"refresh_interval"`
	SigningThumbprints    []string `yaml:"signing_thumbprints"`
	InsecureAllowUnsigned bool     `yaml:"insecure_allow_unsigned"`
}

// saml2 builds the saml2 section.
func (b *builder) saml2(f *fileConfig, c *Config) {
	s := f.SAML2
	c.SAML2 = SAML2{Enabled: s.Enabled, WantAuthnRequestsSigned: s.WantAuthnRequestsSigned,
		PersistentIDKey: b.secret("saml2.persistent_id_key", s.PersistentIDKey)}
	for i, sp := range s.ServiceProviders {
		p := index("saml2.service_providers", i)
		out := ServiceProvider{
			Name: sp.Name, EntityID: strings.TrimSpace(sp.EntityID), ACSURL: strings.TrimSpace(sp.ACSURL), SLOURL: strings.TrimSpace(sp.SLOURL),
			SigningCert: b.path(sp.SigningCert), Encryption: sp.Encryption, EncryptionMethod: sp.EncryptionMethod, NameIDFormat: nameIDFormat(sp.NameIDFormat),
			SignResponse: sp.SignResponse, AuthnRequestsSigned: sp.AuthnRequestsSigned,
			SignatureAlgorithm: or(sp.SignatureAlgorithm, c.Signing.SignatureAlgorithm),
		}
		if m := sp.Metadata; m != nil {
			out.Metadata = &SPMetadata{URL: strings.TrimSpace(m.URL), File: b.path(m.File), InsecureAllowUnsigned: m.InsecureAllowUnsigned}
			// As for relying_parties[].metadata: the interval belongs to a URL.
			if m.File != "" && m.RefreshInterval != "" {
				b.probs.add(p+".metadata.refresh_interval", "applies only to metadata read from a url")
			}
			if m.URL != "" {
				out.Metadata.RefreshInterval = b.dur(p+".metadata.refresh_interval", m.RefreshInterval, DefaultMetadataRefresh)
			}
			for j, t := range m.SigningThumbprints {
				out.Metadata.SigningThumbprints = append(out.Metadata.SigningThumbprints, b.thumbprint(index(p+".metadata.signing_thumbprints", j), t))
			}
		}
		c.SAML2.ServiceProviders = append(c.SAML2.ServiceProviders, out)
	}
}

// saml2Files reports the SPs' missing files (CheckFiles).
func (c *Config) saml2Files(file func(path, name string)) {
	for i, sp := range c.SAML2.ServiceProviders {
		p := index("saml2.service_providers", i)
		file(p+".signing_cert", sp.SigningCert)
		if sp.Metadata != nil && sp.Metadata.File != "" {
			file(p+".metadata.file", sp.Metadata.File)
		}
	}
}
