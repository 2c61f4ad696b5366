// Package adfsscript writes the PowerShell an AD FS administrator runs to register
// claimgate as a claims provider trust, and checks AD FS claim rule language text.
//
// Generate's output, in order:
//
//	variables        $name, $metadataUrl | $metadataFile  (single-quoted, quotes doubled)
//	SAML note        profile SAML only: a comment saying what claimgate must know of this
//	                 AD FS (saml2.service_providers) and whether it wants signed requests
//	$acceptanceRules single-quoted here-string: one pass-through rule per claim type
//	                 claimgate issues and nothing else (AD FS creates no acceptance
//	                 rules for a new claims provider, so nothing arrives without them)
//	$trustParams     splatted parameters shared by Add- and Set-AdfsClaimsProviderTrust;
//	                 profile SAML adds SamlAuthenticationRequestParameters None (AD FS's
//	                 default request shape, answered at the registered default ACS) and
//	                 SignedSamlRequestsRequired (claimgate signs all it sends)
//	trust            Get-AdfsClaimsProviderTrust -Name → Set (-TargetName) + Update, else Add
//	relying parties  optional: add claimgate to each named trust's -ClaimsProviderName
//	                 list (which Set replaces wholesale) only if it is missing
//	amr rule         optional: append the authnmethodsreferences pass-through to each
//	                 named relying party's issuance rules once, found by its @RuleName
//
// Every step is idempotent, so the admin can re-run the script after changing
// claimgate's configuration. CheckRules parses the subset of the claim rule
// language the script and the documentation use; golden tests run it over every
// rule set the generator emits.
package adfsscript
