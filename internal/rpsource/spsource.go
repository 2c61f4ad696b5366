package rpsource

import (
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/claimgate/claimgate/sts/adfsmeta"
	"github.com/claimgate/claimgate/sts/saml2"
)

// SPSource is one SAML 2.0 service provider's metadata (an AD FS farm's
// SPSSODescriptor, Shibboleth, SimpleSAMLphp), read with SPParser. Set
// KeepEntityID: the SP is known by its entity ID.
type SPSource = Refresher[*saml2.SP]

// SPParser reads an SP's metadata. A signed document is checked by
// sts/adfsmeta against the pins, as a relying party's is, and
// saml2.SPFromMetadata then trusts exactly the certificate that passed; an
// unsigned one is read only with InsecureAllowUnsigned (and no pins). check,
// when not nil, sees the SP read (the caller applies its own settings and
// validates there); its error refuses the document like a bad signature,
// so a refresh that would produce an unusable SP keeps the last good one.
func SPParser(check func(*saml2.SP) error) Parser[*saml2.SP] {
	return func(raw []byte, o adfsmeta.Options) (Parsed[*saml2.SP], error) {
		var none Parsed[*saml2.SP]
		mo := saml2.MetadataOptions{MaxBytes: o.MaxBytes, Now: o.Now}
		var signedBy *x509.Certificate
		var warnings []string
		switch {
		case len(o.PinnedThumbprints) > 0 || len(o.TrustedCerts) > 0 || o.InsecureTrustOnFirstUse:
			md, err := adfsmeta.Parse(raw, adfsmeta.Options{PinnedThumbprints: o.PinnedThumbprints, TrustedCerts: o.TrustedCerts,
				Now: o.Now, MaxBytes: o.MaxBytes, InsecureTrustOnFirstUse: o.InsecureTrustOnFirstUse})
			if err != nil {
				return none, err
			}
			signedBy = md.SignedBy
			mo.TrustedCerts = []*x509.Certificate{md.SignedBy}
		case o.InsecureAllowUnsigned:
			mo.InsecureAllowUnsigned = true
			warnings = append(warnings, "metadata signature not checked (insecure_allow_unsigned)")
		default:
			return none, errors.New("rpsource: SP metadata: no pinned thumbprints or trusted certificates")
		}
		sp, err := saml2.SPFromMetadata(raw, mo)
		if err != nil {
			return none, err
		}
		if check != nil {
			if err := check(sp); err != nil {
				return none, fmt.Errorf("rpsource: SP %s: %w", sp.EntityID, err)
			}
		}
		return Parsed[*saml2.SP]{Value: sp, EntityID: sp.EntityID, SigningCerts: sp.SigningCerts, SignedBy: signedBy, Warnings: warnings}, nil
	}
}
