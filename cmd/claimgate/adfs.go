package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/adfsscript"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/sts/xmlsafe"
)

func runADFS(e *env, args []string) int {
	if len(args) == 0 || args[0] != "script" {
		fmt.Fprint(helpOrErr(e, args), "Usage: claimgate adfs script --config FILE [options]\n\nRun \"claimgate adfs script -h\" for the options.\n")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return 0
		}
		return 2
	}
	fs := newFlags(e, "adfs script", "adfs script --config FILE [--protocol wsfed|saml] [--metadata-file PATH] [--name NAME]", `
Prints the PowerShell to run on the AD FS server (as an AD FS administrator)
that adds claimgate as a claims provider trust, or updates it when it
exists: Add-AdfsClaimsProviderTrust with claimgate's metadata URL, the
signature algorithm claimgate signs with, acceptance rules that pass exactly
the claim types claimgate issues, and, for the relying parties named in the
configuration (adfs.relying_party_trusts), the lines that send their users to
claimgate and pass authnmethodsreferences (MFA) on to the application.

With --protocol saml the trust is -ProtocolProfile SAML: AD FS sends claimgate
SAML 2.0 AuthnRequests and reads SAML 2.0 Responses. That needs saml2.enabled
and this AD FS in saml2.service_providers; the script's comments say what
claimgate's configuration has. saml is the default when saml2 is enabled and
a saml2 service provider has the entity ID of a relying party (the same AD FS,
written in the configuration or read from the metadata files).`)
	cfgPath := fs.String("config", "", "the YAML configuration file (required)")
	mdFile := fs.String("metadata-file", "", "use -MetadataFile with this path on the AD FS server instead of the metadata URL")
	name := fs.String("name", "", "claims provider trust name (default: adfs.claims_provider_name)")
	protocol := fs.String("protocol", "", "wsfed or saml: the trust's protocol profile (default: saml when a saml2 service provider is this AD FS, else wsfed)")
	if code, done := fs.parse(args[1:]); done {
		return code
	}
	cfg, code := loadConfig(e, "adfs script", *cfgPath)
	if cfg == nil {
		return code
	}
	profile, saml, err := protocolProfile(cfg, *protocol)
	if err != nil {
		return fail(e, "adfs script: %v", err)
	}
	o := adfsscript.Options{
		TrustName: cfg.ADFS.ClaimsProviderName, ProtocolProfile: profile, SAML: saml,
		SignatureAlgorithm: cfg.Signing.SignatureAlgorithm, ClaimTypes: cfg.Claims.Issue,
		RelyingParties: cfg.ADFS.RelyingPartyTrusts, OrganizationalAccountSuffix: cfg.ADFS.OrganizationalAccountSuffixes,
		IncludeAMRIssuanceRule: len(cfg.ADFS.RelyingPartyTrusts) > 0 && slices.Contains(cfg.Claims.Issue, claims.AuthnMethodsReferences),
	}
	if *name != "" {
		o.TrustName = *name
	}
	if *mdFile != "" {
		o.MetadataFile = *mdFile
	} else {
		o.MetadataURL = cfg.MetadataURL()
	}
	script, err := adfsscript.Generate(o)
	if err != nil {
		return fail(e, "adfs script: %v", err)
	}
	fmt.Fprint(e.stdout, script)
	return 0
}

// protocolProfile chooses the trust's -ProtocolProfile from --protocol, or
// from the configuration: SAML when a SAML service provider is the AD FS
// claimgate already serves over WS-Fed, since an administrator who added
// the same farm to saml2 means it to use SAML.
func protocolProfile(cfg *config.Config, flag string) (string, adfsscript.SAMLOptions, error) {
	sp := adfsServiceProvider(cfg)
	switch {
	case flag == "wsfed", flag == "" && sp == nil:
		return "WSFederation", adfsscript.SAMLOptions{}, nil
	case flag != "saml" && flag != "":
		return "", adfsscript.SAMLOptions{}, fmt.Errorf("--protocol %q: want wsfed or saml", flag)
	case !cfg.SAML2.Enabled:
		return "", adfsscript.SAMLOptions{}, errors.New("--protocol saml: saml2.enabled is false in the configuration, so claimgate offers AD FS no SAML 2.0 endpoints (docs/saml.md)")
	}
	o := adfsscript.SAMLOptions{SignedRequestsRequired: cfg.SAML2.WantAuthnRequestsSigned}
	if sp != nil {
		o.ServiceProvider, o.EntityID = sp.cfg.Name, sp.entityID
		o.SignedRequestsRequired = o.SignedRequestsRequired || sp.cfg.AuthnRequestsSigned || sp.signedRequests
	}
	return "SAML", o, nil
}

// adfsSP is a saml2 service provider that is one of the relying parties.
type adfsSP struct {
	cfg            config.ServiceProvider
	entityID       string
	signedRequests bool // its metadata says AuthnRequestsSigned="true"
}

// adfsServiceProvider returns the first saml2 service provider whose entity
// ID is a relying party's identifier, or nil (or nil when saml2 is off).
// Entity IDs in metadata files are read without checking the signature:
// they only choose a default here; serve checks them against the pins.
func adfsServiceProvider(cfg *config.Config) *adfsSP {
	if !cfg.SAML2.Enabled {
		return nil
	}
	ids := map[string]bool{}
	for _, rp := range cfg.RelyingParties {
		id := rp.Identifier
		if rp.Metadata != nil && rp.Metadata.File != "" {
			id, _ = metadataEntityID(rp.Metadata.File)
		}
		ids[id] = id != ""
	}
	for _, sp := range cfg.SAML2.ServiceProviders {
		a := &adfsSP{cfg: sp, entityID: sp.EntityID}
		if sp.Metadata != nil {
			a.entityID, a.signedRequests = metadataEntityID(sp.Metadata.File)
		}
		if ids[a.entityID] {
			return a
		}
	}
	return nil
}

// metadataEntityID reads a metadata file's entityID and whether its
// SPSSODescriptor asks for signed AuthnRequests; "" when unreadable.
func metadataEntityID(path string) (string, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	d, err := xmlsafe.Read(b, 0)
	if err != nil || d.Root() == nil {
		return "", false
	}
	root := d.Root()
	signed := false
	if sso := xmlsafe.Child(root, nsMetadata, "SPSSODescriptor"); sso != nil {
		signed = sso.SelectAttrValue("AuthnRequestsSigned", "") == "true" || sso.SelectAttrValue("AuthnRequestsSigned", "") == "1"
	}
	return strings.TrimSpace(root.SelectAttrValue("entityID", "")), signed
}

// nsMetadata is the SAML 2.0 metadata namespace.
const nsMetadata = "urn:oasis:names:tc:SAML:2.0:metadata"

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
