package explain

import (
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Check names, in report order.
const (
	CheckWellFormed     = "well-formed"
	CheckShape          = "rstr-shape"
	CheckVersion        = "saml-version"
	CheckAssertionID    = "assertion-id"
	CheckSignature      = "signature"
	CheckCR             = "cr-handling"
	CheckSigningKey     = "signing-key"
	CheckSigAlgorithm   = "signature-algorithm"
	CheckIssuer         = "issuer"
	CheckAudienceCount  = "single-audience"
	CheckAudience       = "audience"
	CheckAppliesTo      = "applies-to"
	CheckLifetime       = "lifetime"
	CheckAuthnStatement = "authentication-statement"
	CheckAuthnMethod    = "authentication-method"
	CheckSubjects       = "subjects"
	CheckForbidden      = "forbidden-elements"
)

// CheckNames lists every check name in report order.
func CheckNames() []string {
	return []string{CheckWellFormed, CheckShape, CheckVersion, CheckAssertionID, CheckSignature, CheckCR,
		CheckSigningKey, CheckSigAlgorithm, CheckIssuer, CheckAudienceCount, CheckAudience, CheckAppliesTo, CheckLifetime,
		CheckAuthnStatement, CheckAuthnMethod, CheckSubjects, CheckForbidden}
}

// Options say what AD FS expects. Empty fields skip the checks that need them.
type Options struct {
	// TrustedCerts are the token-signing certificates on the claims provider trust
	// (from claimgate's configuration or Get-AdfsClaimsProviderTrust).
	TrustedCerts []*x509.Certificate
	// ExpectedAudience is the AD FS identifier (wtrealm), e.g. http://adfs.example.com/adfs/services/trust.
	ExpectedAudience string
	// ExpectedIssuer is the claims provider trust's identifier (claimgate's entityID).
	ExpectedIssuer string
	// SignatureAlgorithm is the claims provider trust's SignatureAlgorithm, as
	// claimgate's configuration names it: "rsa-sha256" or "rsa-sha1" (a relying
	// party's signature_algorithm, defaulted from signing.signature_algorithm).
	// "" means rsa-sha256, what AD FS sets on a new trust.
	SignatureAlgorithm string
	// Request is the sign-in request AD FS sent the claims provider (the query
	// of its redirect, wa=wsignin1.0&wtrealm=…&wauth=…). Its wauth is the
	// method the token must carry; nil skips that check.
	Request url.Values
	// Now is the clock; nil = time.Now. Set it to the capture time for old tokens.
	Now func() time.Time
	// MaxSkew is the clock skew tolerated on NotBefore/NotOnOrAfter; 0 = 5 minutes
	// (the WIF default, which AD FS is believed to use for claims providers).
	MaxSkew time.Duration
	// MaxBytes caps the input; 0 = 1 MiB.
	MaxBytes int64
	// ExpectedDestination is the assertion consumer service a SAML 2.0
	// Response must be addressed to (Destination, the bearer Recipient):
	// AD FS's https://<adfs>/adfs/ls/. "" skips the comparison.
	ExpectedDestination string
	// ExpectedRequestID is the ID of the AuthnRequest a SAML 2.0 Response
	// answers (InResponseTo). "" skips the comparison.
	ExpectedRequestID string
	// DecryptionKey is the service provider's private key (AD FS: its
	// token-decrypting key), to decrypt an EncryptedAssertion. Nil reports
	// the encryption and skips the checks of the assertion inside.
	DecryptionKey *rsa.PrivateKey
}

// Check is the outcome of one rule.
type Check struct {
	Name    string
	OK      bool
	Skipped bool
	Message string
	// Code is what the admin sees in the AD FS Admin log for this fault, e.g.
	// "364/MSIS7012" or "371/ID4037"; empty when OK or when AD FS logs nothing.
	Code string
	// Fix says what to change, for failed checks.
	Fix string
}

// Claim is one attribute in the token, for the report.
type Claim struct {
	Type   string
	Values []string
}

// Report is Explain's result.
type Report struct {
	// Input describes what was recognised, e.g. "WS-Fed form POST (wa=wsignin1.0) carrying a SAML 1.1 assertion in an RSTR".
	Input  string
	Checks []Check
	// Accepted is true when no check failed (skipped checks do not count)
	// and the input is not an error Response.
	Accepted bool
	// Refusal, for a SAML 2.0 error Response, says what the identity
	// provider refused and why (its status codes and message).
	Refusal string
	Claims  []Claim
}

// Check returns the named check, or nil.
func (r *Report) Check(name string) *Check {
	for i := range r.Checks {
		if r.Checks[i].Name == name {
			return &r.Checks[i]
		}
	}
	return nil
}

// Failed returns the names of the failed checks in order.
func (r *Report) Failed() []string {
	var out []string
	for _, c := range r.Checks {
		if !c.OK && !c.Skipped {
			out = append(out, c.Name)
		}
	}
	return out
}

// Skipped returns the names of the skipped checks in order.
func (r *Report) Skipped() []string {
	var out []string
	for _, c := range r.Checks {
		if c.Skipped {
			out = append(out, c.Name)
		}
	}
	return out
}

// Text renders the report for a terminal: one line per rule with ✔, ✘ or –
// (skipped), the AD FS code and the fix under each failure.
func (r *Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Input: %s\n\n", r.Input)
	for _, c := range r.Checks {
		mark := "✔"
		switch {
		case c.Skipped:
			mark = "–"
		case !c.OK:
			mark = "✘"
		}
		code := ""
		if c.Code != "" && !c.OK && !c.Skipped {
			code = " [" + c.Code + "]"
		}
		fmt.Fprintf(&b, "%s %-24s%s %s\n", mark, c.Name, code, c.Message)
		if c.Fix != "" && !c.OK && !c.Skipped {
			fmt.Fprintf(&b, "  %-24s fix: %s\n", "", c.Fix)
		}
	}
	if len(r.Claims) > 0 {
		b.WriteString("\nClaims:\n")
		for _, c := range r.Claims {
			fmt.Fprintf(&b, "  %s = %s\n", c.Type, strings.Join(quoteAll(c.Values), ", "))
		}
	}
	switch skipped := r.Skipped(); {
	case r.Refusal != "" && len(r.Failed()) == 0:
		fmt.Fprintf(&b, "\nVerdict: a well-formed SAML error Response: %s. Nobody is signed in; AD FS shows its error page.\n", r.Refusal)
	case r.Accepted && len(skipped) > 0:
		// An accepted verdict holds only for what was checked: say which
		// rules were not, so a missing --config or --request is noticed.
		fmt.Fprintf(&b, "\nVerdict: AD FS would accept this token; not evaluated (skipped): %s.\n", strings.Join(skipped, ", "))
	case r.Accepted:
		b.WriteString("\nVerdict: AD FS would accept this token.\n")
	default:
		fmt.Fprintf(&b, "\nVerdict: AD FS would reject this token: %s.\n", strings.Join(r.Failed(), ", "))
	}
	return b.String()
}

func quoteAll(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}

func (r *Report) add(c Check) { r.Checks = append(r.Checks, c) }

func pass(name, msg string) Check { return Check{Name: name, OK: true, Message: msg} }
func skip(name, msg string) Check { return Check{Name: name, Skipped: true, Message: msg} }
func fail(name, code, msg, fix string) Check {
	return Check{Name: name, Code: code, Message: msg, Fix: fix}
}
