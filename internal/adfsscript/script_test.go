package adfsscript

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// claimgateTypes are the claim types claimgate issues by default (protocol notes §6).
var claimgateTypes = []string{
	"http://schemas.microsoft.com/ws/2008/06/identity/claims/primarysid",
	"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
	"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier",
	"http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname",
	"http://schemas.microsoft.com/claims/authnmethodsreferences",
	"http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationmethod",
}

const metaURL = "https://sts.acme.example/FederationMetadata/2007-06/FederationMetadata.xml"

var variants = map[string]Options{
	"metadata-url": {TrustName: "claimgate", MetadataURL: metaURL, ClaimTypes: claimgateTypes},
	"metadata-file": {TrustName: "claimgate", MetadataFile: `C:\claimgate\FederationMetadata.xml`,
		ClaimTypes: claimgateTypes},
	"relying-parties": {TrustName: "Acme MFA (claimgate)", MetadataURL: metaURL, ClaimTypes: claimgateTypes,
		RelyingParties:         []string{"Skype for Business web services", "Microsoft Office 365 Identity Platform", "Bob's app"},
		IncludeAMRIssuanceRule: true},
	"suffixes": {TrustName: "claimgate", MetadataURL: metaURL, ClaimTypes: claimgateTypes[:3],
		OrganizationalAccountSuffix: []string{"corp.example", "acme.example"}},
	"sha1-checkchain": {TrustName: "claimgate", MetadataURL: metaURL, ClaimTypes: claimgateTypes,
		SignatureAlgorithm: "rsa-sha1", RevocationCheck: "CheckChainExcludeRoot", ProtocolProfile: "WsFed-SAML"},
	"saml-metadata-url": {TrustName: "claimgate", MetadataURL: metaURL, ClaimTypes: claimgateTypes, ProtocolProfile: "SAML",
		RelyingParties: []string{"Outlook Web App"}, IncludeAMRIssuanceRule: true,
		SAML: SAMLOptions{ServiceProvider: "adfs", EntityID: "http://adfs.example.com/adfs/services/trust"}},
	"saml-metadata-file": {TrustName: "claimgate", MetadataFile: `C:\claimgate\FederationMetadata.xml`, ClaimTypes: claimgateTypes,
		ProtocolProfile: "SAML", SAML: SAMLOptions{SignedRequestsRequired: true}},
}

func TestGenerateGolden(t *testing.T) {
	for name, opts := range variants {
		t.Run(name, func(t *testing.T) {
			got, err := Generate(opts)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".ps1")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/adfsscript -update)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run with -update after checking the diff):\n%s", golden, got)
			}
			// Every rule set in the script parses as claim rule language.
			sets := hereStrings(t, got)
			if len(sets) == 0 {
				t.Fatal("no rule here-strings")
			}
			for _, rules := range sets {
				if err := CheckRules(rules); err != nil {
					t.Errorf("generated rules do not parse: %v\n%s", err, rules)
				}
			}
			// The acceptance rules pass exactly the configured types.
			acc := sets[0]
			if n := strings.Count(acc, "=> issue(claim = c);"); n != len(opts.ClaimTypes) {
				t.Errorf("%d pass-through rules for %d claim types", n, len(opts.ClaimTypes))
			}
			for _, ct := range opts.ClaimTypes {
				if !strings.Contains(acc, `c:[Type == "`+ct+`"] => issue(claim = c);`) {
					t.Errorf("no rule for %s", ct)
				}
			}
		})
	}
}

// hereStrings returns the bodies of single-quoted here-strings (@'\n...\n'@).
func hereStrings(t *testing.T, script string) []string {
	var out []string
	for rest := script; ; {
		i := strings.Index(rest, "@'\n")
		if i < 0 {
			return out
		}
		rest = rest[i+3:]
		j := strings.Index(rest, "\n'@")
		if j < 0 {
			t.Fatal("unterminated here-string")
		}
		out = append(out, rest[:j+1])
		rest = rest[j+3:]
	}
}

func TestGenerateStructure(t *testing.T) {
	s, err := Generate(variants["relying-parties"])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`$name = 'Acme MFA (claimgate)'`,
		`'Bob''s app'`, // single quote doubled
		"if (Get-AdfsClaimsProviderTrust -Name $name -ErrorAction SilentlyContinue) {",
		"Set-AdfsClaimsProviderTrust -TargetName $name -MetadataUrl $metadataUrl @trustParams",
		"Add-AdfsClaimsProviderTrust -Name $name -MetadataUrl $metadataUrl @trustParams",
		"SignatureAlgorithm                = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'",
		"SigningCertificateRevocationCheck = 'None'",
		"if ($providers -notcontains $name) {",
		"-ClaimsProviderName ($providers + $name)",
		"-notlike '*claimgate: pass authnmethodsreferences*'",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q", want)
		}
	}
	file, _ := Generate(variants["metadata-file"])
	if strings.Contains(file, "AutoUpdateEnabled") || !strings.Contains(file, "Update-AdfsClaimsProviderTrust -TargetName $name -MetadataFile $metadataFile") {
		t.Error("metadata-file variant: wrong update path")
	}
	sha1, _ := Generate(variants["sha1-checkchain"])
	if !strings.Contains(sha1, "'http://www.w3.org/2000/09/xmldsig#rsa-sha1'") || strings.Contains(sha1, "revocation check cannot complete") {
		t.Error("sha1 variant: wrong algorithm or revocation comment")
	}
}

func TestPSQuote(t *testing.T) {
	for in, want := range map[string]string{
		"plain":        "'plain'",
		"it's":         "'it''s'",
		"$(calc.exe)":  "'$(calc.exe)'",
		"smart\u2019q": "'smart\u2019\u2019q'",
		"":             "''",
	} {
		if got := psQuote(in); got != want {
			t.Errorf("psQuote(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGenerateRejects(t *testing.T) {
	base := variants["metadata-url"]
	mod := func(f func(*Options)) Options {
		o := base
		o.ClaimTypes = append([]string(nil), base.ClaimTypes...)
		f(&o)
		return o
	}
	cases := map[string]Options{
		"no name":         mod(func(o *Options) { o.TrustName = " " }),
		"url and file":    mod(func(o *Options) { o.MetadataFile = `C:\x.xml` }),
		"http url":        mod(func(o *Options) { o.MetadataURL = "http://sts.acme.example/x" }),
		"quote in type":   mod(func(o *Options) { o.ClaimTypes = append(o.ClaimTypes, `http://x/"] => issue(claim = c);`) }),
		"relative type":   mod(func(o *Options) { o.ClaimTypes = []string{"upn"} }),
		"duplicate type":  mod(func(o *Options) { o.ClaimTypes = append(o.ClaimTypes, o.ClaimTypes[0]) }),
		"no types":        mod(func(o *Options) { o.ClaimTypes = nil }),
		"bad algorithm":   mod(func(o *Options) { o.SignatureAlgorithm = "rsa-md5" }),
		"bad profile":     mod(func(o *Options) { o.ProtocolProfile = "OIDC" }),
		"bad revocation":  mod(func(o *Options) { o.RevocationCheck = "Never" }),
		"amr without rps": mod(func(o *Options) { o.IncludeAMRIssuanceRule = true }),
		"amr without claim": mod(func(o *Options) {
			o.IncludeAMRIssuanceRule = true
			o.RelyingParties = []string{"x"}
			o.ClaimTypes = o.ClaimTypes[:2]
		}),
		"bad suffix":                   mod(func(o *Options) { o.OrganizationalAccountSuffix = []string{"a@b"} }),
		"saml options, ws-fed profile": mod(func(o *Options) { o.SAML.ServiceProvider = "adfs" }),
		"line break in sp name": mod(func(o *Options) {
			o.ProtocolProfile = "SAML"
			o.SAML.ServiceProvider = "adfs\nInvoke-Expression 'calc'"
		}),
		"line separator in entity id": mod(func(o *Options) {
			o.ProtocolProfile = "SAML"
			o.SAML.EntityID = "http://adfs.example.com/\u2028x"
		}),
	}
	for name, o := range cases {
		if s, err := Generate(o); err == nil {
			t.Errorf("%s: accepted:\n%s", name, s)
		}
	}
}

// TestGenerateSAML: the SAML profile registers the trust with
// -ProtocolProfile SAML and the AuthnRequest settings claimgate accepts,
// and says in comments what claimgate must know of AD FS; the WS-Fed
// profiles carry none of it.
func TestGenerateSAML(t *testing.T) {
	known, err := Generate(variants["saml-metadata-url"])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"    ProtocolProfile                   = 'SAML'\n",
		"\n$trustParams.SamlAuthenticationRequestParameters = 'None'\n",
		"\n$trustParams.SignedSamlRequestsRequired = $true\n",
		"Add-AdfsClaimsProviderTrust -Name $name -MetadataUrl $metadataUrl @trustParams",
		"# claimgate's configuration has it: service provider 'adfs', entity ID http://adfs.example.com/adfs/services/trust.\n",
		"# AD FS sends its AuthnRequests unsigned, which claimgate accepts",
	} {
		if !strings.Contains(known, want) {
			t.Errorf("SAML script lacks %q", want)
		}
	}
	// The trust parameters are set before the trust is added or updated.
	if strings.Index(known, "SignedSamlRequestsRequired") > strings.Index(known, "if (Get-AdfsClaimsProviderTrust") {
		t.Error("SAML parameters come after the Add/Set")
	}
	unknown, err := Generate(variants["saml-metadata-file"])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# claimgate's configuration names no service provider with this AD FS's identifier yet.\n",
		"# claimgate refuses unsigned AuthnRequests from this AD FS",
		"Update-AdfsClaimsProviderTrust -TargetName $name -MetadataFile $metadataFile",
	} {
		if !strings.Contains(unknown, want) {
			t.Errorf("SAML script (no SP known) lacks %q", want)
		}
	}
	for _, name := range []string{"metadata-url", "sha1-checkchain"} {
		s, _ := Generate(variants[name])
		if strings.Contains(s, "SamlAuthenticationRequest") || strings.Contains(s, "saml2.service_providers") {
			t.Errorf("%s: WS-Fed profile carries SAML settings", name)
		}
	}
}
