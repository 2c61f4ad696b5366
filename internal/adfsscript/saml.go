package adfsscript

import (
	"fmt"
	"strings"
)

// The SAML 2.0 profile (-ProtocolProfile SAML) adds two things to the
// script: a comment block saying what claimgate must know of this AD FS
// (AD FS reads claimgate's IDPSSODescriptor, but claimgate answers only a
// service provider it has registered), and the AuthnRequest settings of the
// trust, chosen to match what sts/saml2 accepts.

// samlPreamble tells the administrator claimgate's side of a SAML trust. It
// is a comment: nothing on the AD FS server can change claimgate's
// configuration, and a mismatch shows only at the first sign-in.
func samlPreamble(b *strings.Builder, s SAMLOptions) {
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	w("\n# SAML 2.0 (-ProtocolProfile SAML). claimgate answers only service providers it knows, so\n")
	w("# claimgate's configuration needs saml2.enabled: true and this AD FS in saml2.service_providers:\n")
	w("# its metadata (https://<adfs>/FederationMetadata/2007-06/FederationMetadata.xml, downloaded,\n")
	w("# pinned with signing_thumbprints), or entity_id = (Get-AdfsProperties).Identifier and\n")
	w("# acs_url = https://<adfs>/adfs/ls/. See docs/saml.md.\n")
	switch {
	case s.ServiceProvider != "" && s.EntityID != "":
		w("# claimgate's configuration has it: service provider '%s', entity ID %s.\n", s.ServiceProvider, s.EntityID)
	case s.ServiceProvider != "":
		w("# claimgate's configuration has it: service provider '%s'.\n", s.ServiceProvider)
	default:
		w("# claimgate's configuration names no service provider with this AD FS's identifier yet.\n")
	}
	if s.SignedRequestsRequired {
		w("# claimgate refuses unsigned AuthnRequests from this AD FS (want_authn_requests_signed or\n")
		w("# authn_requests_signed). AD FS sends unsigned ones by default: check that it signs them, or\n")
		w("# turn the setting off in claimgate.\n")
	} else {
		w("# AD FS sends its AuthnRequests unsigned, which claimgate accepts (want_authn_requests_signed\n")
		w("# and authn_requests_signed are off).\n")
	}
}

// samlParams adds the SAML-only parameters to $trustParams. Set- takes the
// same ones, so a re-run puts back what an administrator changed.
func samlParams(b *strings.Builder) {
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	w("# AuthnRequests by HTTP-Redirect (claimgate also takes HTTP-POST) naming no assertion consumer\n")
	w("# index, URL or binding, as AD FS sends them by default: claimgate posts the Response to the\n")
	w("# default ACS it has registered for AD FS (/adfs/ls/). Index and Url work too (Url only with an\n")
	w("# address claimgate has registered); a ProtocolBinding other than POST is refused.\n")
	w("$trustParams.SamlAuthenticationRequestParameters = 'None'\n")
	w("# claimgate signs every SAML message it sends AD FS (its LogoutRequests at single logout\n")
	w("# included), so an unsigned SAML request claiming to come from claimgate is forged.\n")
	w("$trustParams.SignedSamlRequestsRequired = $true\n")
}
