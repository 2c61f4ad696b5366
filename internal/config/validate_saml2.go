package config

import (
	"slices"
	"strings"
	"time"

	"github.com/claimgate/claimgate/sts/saml2"
)

// validateSAML2 checks the saml2 section; nothing when it is off.
func (c *Config) validateSAML2(ps *problems) {
	s := c.SAML2
	if !s.Enabled {
		return
	}
	if s.PersistentIDKey.IsSet() {
		if _, err := s.PersistentKey(); err != nil {
			ps.add("saml2.persistent_id_key", "%v", err)
		}
	}
	if len(s.ServiceProviders) == 0 {
		ps.add("saml2.service_providers", "required: at least one service provider (your AD FS) when saml2 is enabled")
	}
	names, ids := map[string]int{}, map[string]int{}
	for i, sp := range s.ServiceProviders {
		p := index("saml2.service_providers", i)
		if sp.Name == "" {
			ps.add(p+".name", "required")
		} else if j, dup := names[sp.Name]; dup {
			ps.add(p+".name", "%q is also the name of saml2.service_providers[%d]", sp.Name, j)
		} else {
			names[sp.Name] = i
		}
		m := sp.Metadata
		switch {
		case sp.EntityID == "" && m == nil:
			ps.add(p+".entity_id", "required (AD FS's identifier, e.g. http://adfs.example.com/adfs/services/trust), unless metadata is given")
		case sp.EntityID == "":
		case !absoluteURI(sp.EntityID):
			ps.add(p+".entity_id", "must be an absolute URI")
		default:
			if j, dup := ids[sp.EntityID]; dup {
				ps.add(p+".entity_id", "is also the entity_id of saml2.service_providers[%d]", j)
			}
			ids[sp.EntityID] = i
		}
		switch {
		case m != nil && sp.ACSURL != "":
			ps.add(p+".acs_url", "give either acs_url or metadata, not both: the metadata lists the SP's assertion consumer services")
		case m == nil && sp.ACSURL == "":
			ps.add(p+".acs_url", "required (AD FS's https://.../adfs/ls/), unless metadata is given")
		case sp.ACSURL != "":
			webURLAt(ps, p+".acs_url", sp.ACSURL)
		}
		if sp.SLOURL != "" {
			if m != nil {
				ps.add(p+".slo_url", "give either slo_url or metadata, not both")
			} else {
				webURLAt(ps, p+".slo_url", sp.SLOURL)
			}
		}
		if m != nil {
			validateSPMetadata(ps, p+".metadata", m)
			if sp.SigningCert != "" {
				ps.add(p+".signing_cert", "give either signing_cert or metadata, not both: the metadata lists the SP's signing certificates")
			}
		} else {
			if sp.Encryption {
				ps.add(p+".encryption", "needs metadata: the SP's encryption certificate is read from it")
			}
			if (sp.AuthnRequestsSigned || s.WantAuthnRequestsSigned) && sp.SigningCert == "" {
				ps.add(p+".signing_cert", "required: signed authentication requests are required, and without metadata this is the only way to know the SP's signing certificate")
			}
		}
		switch sp.EncryptionMethod {
		case "", saml2.EncAES256CBC, saml2.EncAES128CBC, saml2.EncAES256GCM:
			if sp.EncryptionMethod != "" && !sp.Encryption {
				ps.add(p+".encryption_method", "applies only with encryption: true")
			}
		default:
			ps.add(p+".encryption_method", "must be %s, %s or %s", saml2.EncAES256CBC, saml2.EncAES128CBC, saml2.EncAES256GCM)
		}
		if sp.NameIDFormat != "" {
			switch {
			case !slices.Contains(saml2.NameIDFormats(), sp.NameIDFormat):
				ps.add(p+".name_id_format", "must be one of unspecified, email, persistent, transient (or their URIs)")
			case sp.NameIDFormat == saml2.NameIDPersistent && !s.PersistentIDKey.IsSet():
				ps.add(p+".name_id_format", "persistent needs saml2.persistent_id_key (make one with: openssl rand -hex 32)")
			}
		}
		if sp.SignatureAlgorithm != c.Signing.SignatureAlgorithm && !sigAlg(sp.SignatureAlgorithm) {
			ps.add(p+".signature_algorithm", "must be rsa-sha256 or rsa-sha1")
		}
	}
}

// validateSPMetadata checks an SP's metadata source with the rules and
// messages of relying_parties[].metadata (validateRelyingParties), plus
// insecure_allow_unsigned, which SPs have and relying parties do not.
func validateSPMetadata(ps *problems, mp string, m *SPMetadata) {
	switch {
	case (m.URL == "") == (m.File == ""):
		ps.add(mp, "give exactly one of url and file")
	case m.URL != "":
		if msg := webURL(m.URL); msg != "" {
			ps.add(mp+".url", "%s", msg)
		} else if !strings.HasPrefix(m.URL, "https://") {
			ps.add(mp+".url", "must be https: AD FS publishes its metadata over HTTPS, and plain HTTP could be altered on the way")
		}
		if m.RefreshInterval < time.Minute {
			ps.add(mp+".refresh_interval", "must be at least 1m")
		}
	}
	if len(m.SigningThumbprints) == 0 && !m.InsecureAllowUnsigned {
		ps.add(mp+".signing_thumbprints", "required: the SHA-1 or SHA-256 thumbprint(s) of the certificate the metadata is signed with (AD FS: Get-AdfsCertificate -CertificateType Token-Signing), so that only metadata signed by the SP is believed; or insecure_allow_unsigned: true for a document you checked yourself")
	}
}

func webURLAt(ps *problems, path, u string) {
	if msg := webURL(u); msg != "" {
		ps.add(path, "%s", msg)
	} else if strings.Contains(u, "#") {
		ps.add(path, "must not have a fragment")
	}
}
