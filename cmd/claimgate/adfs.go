package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/adfsscript"
)

func runADFS(e *env, args []string) int {
	if len(args) == 0 || args[0] != "script" {
		fmt.Fprint(helpOrErr(e, args), "Usage: claimgate adfs script --config FILE [options]\n\nRun \"claimgate adfs script -h\" for the options.\n")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return 0
		}
		return 2
	}
	fs := newFlags(e, "adfs script", "adfs script --config FILE [--metadata-file PATH] [--name NAME]", `
Prints the PowerShell to run on the AD FS server (as an AD FS administrator)
that adds claimgate as a claims provider trust, or updates it when it
exists: Add-AdfsClaimsProviderTrust with claimgate's metadata URL, the
signature algorithm claimgate signs with, acceptance rules that pass exactly
the claim types claimgate issues, and, for the relying parties named in the
configuration (adfs.relying_party_trusts), the lines that send their users to
claimgate and pass authnmethodsreferences (MFA) on to the application.`)
	cfgPath := fs.String("config", "", "the YAML configuration file (required)")
	mdFile := fs.String("metadata-file", "", "use -MetadataFile with this path on the AD FS server instead of the metadata URL")
	name := fs.String("name", "", "claims provider trust name (default: adfs.claims_provider_name)")
	if code, done := fs.parse(args[1:]); done {
		return code
	}
	cfg, code := loadConfig(e, "adfs script", *cfgPath)
	if cfg == nil {
		return code
	}
	o := adfsscript.Options{
		TrustName: cfg.ADFS.ClaimsProviderName, ProtocolProfile: "WSFederation",
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

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
