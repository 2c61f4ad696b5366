package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/adfsscript"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/sts/adfsmeta"
	"github.com/claimgate/claimgate/sts/explain"
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

func runExplain(e *env, args []string) int {
	fs := newFlags(e, "explain", "explain [--config FILE] [--cert FILE]... [--adfs-metadata FILE] [--audience ID] [--at TIME] [FILE|-]", `
Reads a captured token and says, rule by rule, whether AD FS would accept
it, and for each fault the AD FS event or error code an administrator sees
and how to fix it. The input (a file, or - / nothing for standard input)
may be a wresult (RequestSecurityTokenResponse), a whole form POST body
(wa=wsignin1.0&wresult=...&wctx=...), a bare SAML 1.1 assertion or a SAML 2.0
Response. The trusted signing certificates come from claimgate's
configuration (--config) or from certificate files (--cert, repeatable).`)
	cfgPath := fs.String("config", "", "claimgate configuration: its published certificates and entity ID")
	var certFiles multiFlag
	fs.Var(&certFiles, "cert", "a trusted token-signing certificate (PEM); repeatable")
	audience := fs.String("audience", "", "the AD FS identifier the token must be for (default: the only relying party configured)")
	adfsMD := fs.String("adfs-metadata", "", "AD FS's own federation metadata file: the token's audience must be its identifier")
	at := fs.String("at", "", "judge lifetimes at this time (RFC 3339) instead of now, for old captures")
	if code, done := fs.parse(args); done {
		return code
	}
	in, err := readInput(e, fs.Arg(0))
	if err != nil {
		return fail(e, "explain: %v", err)
	}
	o := explain.Options{ExpectedAudience: *audience}
	if *cfgPath != "" {
		cfg, err := config.Load(*cfgPath, e.getenv)
		if err != nil {
			return fail(e, "%v", err)
		}
		keys, err := cfg.LoadSigning()
		if err != nil {
			return fail(e, "%v", err)
		}
		o.TrustedCerts = append(o.TrustedCerts, keys.Published...)
		o.ExpectedIssuer = cfg.EntityID
		if o.ExpectedAudience == "" && len(cfg.RelyingParties) == 1 {
			o.ExpectedAudience = cfg.RelyingParties[0].Identifier
		}
	}
	if *adfsMD != "" {
		doc, err := os.ReadFile(*adfsMD)
		if err != nil {
			return fail(e, "explain: %v", err)
		}
		// Only the identifier is taken from this file, so an unpinned
		// signer is acceptable here (it is reported as a warning).
		md, err := adfsmeta.Parse(doc, adfsmeta.Options{InsecureTrustOnFirstUse: true})
		if err != nil {
			return fail(e, "explain: --adfs-metadata: %v", err)
		}
		if *audience == "" {
			o.ExpectedAudience = md.EntityID
		}
	}
	for _, f := range certFiles {
		c, err := certs.LoadCertificate(f)
		if err != nil {
			return fail(e, "explain: %v", err)
		}
		o.TrustedCerts = append(o.TrustedCerts, c)
	}
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return fail(e, "explain: --at: %v", err)
		}
		o.Now = func() time.Time { return t }
	}
	rep, err := explain.Explain(in, o)
	if err != nil {
		return fail(e, "explain: %v", err)
	}
	fmt.Fprint(e.stdout, rep.Text())
	if !rep.Accepted {
		return 1
	}
	return 0
}

func readInput(e *env, name string) ([]byte, error) {
	const limit = 4 << 20
	var r io.Reader = e.stdin
	if name != "" && name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	return io.ReadAll(io.LimitReader(r, limit))
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
