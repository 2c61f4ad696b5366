package adfsscript

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
)

// Options describes the claims provider trust to create. Values come from
// claimgate's configuration (the CLI wires internal/config into this struct).
type Options struct {
	// TrustName is the claims provider trust's display name in AD FS.
	TrustName string
	// MetadataURL is claimgate's published metadata (https). Exactly one of
	// MetadataURL and MetadataFile is required.
	MetadataURL string
	// MetadataFile is a path on the AD FS server to a copy of claimgate's metadata.
	MetadataFile string
	// ProtocolProfile is WSFederation (default), SAML or WsFed-SAML.
	ProtocolProfile string
	// SignatureAlgorithm is rsa-sha256 (default) or rsa-sha1, matching claimgate's signer.
	SignatureAlgorithm string
	// ClaimTypes are the full claim type URIs claimgate issues; exactly these pass
	// the acceptance rules.
	ClaimTypes []string
	// RelyingParties are relying party trust names to restrict to claimgate.
	RelyingParties []string
	// OrganizationalAccountSuffix lists UPN suffixes for home realm discovery (AD FS 2016+).
	OrganizationalAccountSuffix []string
	// RevocationCheck is the SigningCertificateRevocationCheck value; default None.
	RevocationCheck string
	// IncludeAMRIssuanceRule appends the authnmethodsreferences pass-through rule to
	// the RelyingParties' issuance rules.
	IncludeAMRIssuanceRule bool
	// SAML is claimgate's side of a ProtocolProfile SAML trust. It is read only
	// with that profile: the script then says what claimgate must know of AD FS.
	SAML SAMLOptions
}

// SAMLOptions is what claimgate's configuration says about this AD FS as a
// SAML 2.0 service provider (saml2.service_providers).
type SAMLOptions struct {
	// ServiceProvider is the name of the saml2.service_providers entry that is
	// this AD FS; "" when none is known, and the script says how to add one.
	ServiceProvider string
	// EntityID is that entry's entity ID, when known ("" otherwise).
	EntityID string
	// SignedRequestsRequired is set when claimgate refuses unsigned
	// AuthnRequests from this AD FS (saml2.want_authn_requests_signed, or the
	// entry's authn_requests_signed).
	SignedRequestsRequired bool
}

// Signature algorithm URIs. The AD FS cmdlet documentation prints https:// URIs;
// that is a documentation typo, AD FS's own metadata uses http://.
const (
	AlgRSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	AlgRSASHA1   = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	// ClaimAMR is the claim relying parties need to see claimgate's MFA.
	ClaimAMR = "http://schemas.microsoft.com/claims/authnmethodsreferences"
	// amrRuleName marks the issuance rule so a second run does not append it twice.
	amrRuleName = "claimgate: pass authnmethodsreferences"
)

var (
	algorithms       = map[string]string{"": AlgRSASHA256, "rsa-sha256": AlgRSASHA256, "rsa-sha1": AlgRSASHA1}
	protocolProfiles = []string{"WSFederation", "SAML", "WsFed-SAML"}
	revocationChecks = []string{"None", "CheckEndCert", "CheckEndCertCacheOnly", "CheckChain",
		"CheckChainCacheOnly", "CheckChainExcludeRoot", "CheckChainExcludeRootCacheOnly"}
)

// resolved is Options after defaults and validation.
type resolved struct {
	Options
	alg string
}

func (o Options) resolve() (*resolved, error) {
	var errs []error
	r := &resolved{Options: o}
	if strings.TrimSpace(o.TrustName) == "" {
		errs = append(errs, errors.New("trust name is empty"))
	}
	if (o.MetadataURL == "") == (o.MetadataFile == "") {
		errs = append(errs, errors.New("exactly one of metadata URL and metadata file is required"))
	}
	if o.MetadataURL != "" {
		if u, err := url.Parse(o.MetadataURL); err != nil || u.Scheme != "https" || u.Host == "" {
			errs = append(errs, fmt.Errorf("metadata URL %q: AD FS needs an absolute https URL", o.MetadataURL))
		}
	}
	if r.ProtocolProfile == "" {
		r.ProtocolProfile = "WSFederation"
	}
	if !oneOf(r.ProtocolProfile, protocolProfiles) {
		errs = append(errs, fmt.Errorf("protocol profile %q: want one of %s", r.ProtocolProfile, strings.Join(protocolProfiles, ", ")))
	}
	var ok bool
	if r.alg, ok = algorithms[strings.ToLower(o.SignatureAlgorithm)]; !ok {
		errs = append(errs, fmt.Errorf("signature algorithm %q: want rsa-sha256 or rsa-sha1", o.SignatureAlgorithm))
	}
	if r.RevocationCheck == "" {
		r.RevocationCheck = "None"
	}
	if !oneOf(r.RevocationCheck, revocationChecks) {
		errs = append(errs, fmt.Errorf("revocation check %q: want one of %s", r.RevocationCheck, strings.Join(revocationChecks, ", ")))
	}
	if len(o.ClaimTypes) == 0 {
		errs = append(errs, errors.New("no claim types: the acceptance rules would pass nothing"))
	}
	seen := map[string]bool{}
	for i, ct := range o.ClaimTypes {
		if err := checkClaimType(ct); err != nil {
			errs = append(errs, fmt.Errorf("claim types[%d]: %w", i, err))
		}
		if seen[ct] {
			errs = append(errs, fmt.Errorf("claim types[%d]: %q listed twice", i, ct))
		}
		seen[ct] = true
	}
	for i, rp := range o.RelyingParties {
		if strings.TrimSpace(rp) == "" || strings.ContainsAny(rp, "\r\n") {
			errs = append(errs, fmt.Errorf("relying parties[%d]: empty or multi-line name", i))
		}
	}
	for i, s := range o.OrganizationalAccountSuffix {
		if s == "" || strings.ContainsAny(s, " @\r\n'\"") {
			errs = append(errs, fmt.Errorf("organizational account suffix[%d]: %q is not a UPN suffix", i, s))
		}
	}
	if r.ProtocolProfile != "SAML" && o.SAML != (SAMLOptions{}) {
		errs = append(errs, errors.New("SAML options need protocol profile SAML"))
	}
	for _, f := range []struct{ what, v string }{{"SAML service provider name", o.SAML.ServiceProvider}, {"SAML service provider entity ID", o.SAML.EntityID}} {
		// Both are written into comments: a line break would end the comment.
		if strings.ContainsFunc(f.v, func(c rune) bool { return c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029' || c == '\u0085' }) {
			errs = append(errs, fmt.Errorf("%s %q: control character", f.what, f.v))
		}
	}
	if o.IncludeAMRIssuanceRule {
		if len(o.RelyingParties) == 0 {
			errs = append(errs, errors.New("the authnmethodsreferences issuance rule needs at least one relying party"))
		}
		if !seen[ClaimAMR] {
			errs = append(errs, fmt.Errorf("the authnmethodsreferences issuance rule needs %s among the claim types", ClaimAMR))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("adfsscript: %w", err)
	}
	return r, nil
}

// checkClaimType refuses anything that could break out of a rule string literal
// or a here-string line.
func checkClaimType(ct string) error {
	u, err := url.Parse(ct)
	if err != nil || !u.IsAbs() {
		return fmt.Errorf("%q is not an absolute URI", ct)
	}
	for _, r := range ct {
		if r == '"' || r == '\\' || r < 0x20 || r == 0x7f {
			return fmt.Errorf("%q contains a character the claim rule language cannot quote", ct)
		}
	}
	return nil
}

func oneOf(s string, list []string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ruleLabel is the short name used in @RuleName: the last path segment of the URI.
func ruleLabel(ct string) string {
	s := strings.TrimRight(ct, "/")
	if i := strings.LastIndexAny(s, "/#:"); i >= 0 && i+1 < len(s) {
		s = s[i+1:]
	}
	return path.Clean(s)
}

// AcceptanceRules returns the acceptance transform rules for the claim types: one
// pass-through rule each, in the given order.
func AcceptanceRules(claimTypes []string) string {
	var b strings.Builder
	for _, ct := range claimTypes {
		fmt.Fprintf(&b, "@RuleName = \"claimgate: pass %s\"\n", ruleLabel(ct))
		fmt.Fprintf(&b, "c:[Type == \"%s\"] => issue(claim = c);\n", ct)
	}
	return b.String()
}

// AMRIssuanceRule is the relying-party issuance rule that passes claimgate's
// authnmethodsreferences claim on to applications.
func AMRIssuanceRule() string {
	return fmt.Sprintf("@RuleName = \"%s\"\nc:[Type == \"%s\"] => issue(claim = c);\n", amrRuleName, ClaimAMR)
}

// psQuote returns s as a PowerShell single-quoted (verbatim) string. PowerShell
// also treats the typographic quotes U+2018..U+201B as single quotes, so each of
// those is doubled too.
func psQuote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\'', '\u2018', '\u2019', '\u201a', '\u201b':
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

func psArray(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = psQuote(s)
	}
	return "@(" + strings.Join(q, ", ") + ")"
}
