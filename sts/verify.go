package sts

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts/xmlsafe"
)

// MaxTokenSize caps what the verifier parses. AD FS tokens are a few KiB;
// ours grow with group SIDs but stay far below this.
const MaxTokenSize = xmlsafe.DefaultMaxBytes

// VerifyOptions says what a token must satisfy.
type VerifyOptions struct {
	// TrustedCerts are the issuer's signing certificates. The KeyInfo
	// certificate must equal one of them or carry the same public key.
	TrustedCerts []*x509.Certificate
	// Audience is required and must appear in every
	// AudienceRestrictionCondition (and equal AppliesTo, when present).
	Audience string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Skew is the clock drift tolerated on NotBefore/NotOnOrAfter and on
	// the certificate's validity; 0 means 5 minutes (WIF's default).
	Skew time.Duration
	// IgnoreTime skips every time check (for recorded fixtures).
	IgnoreTime bool
	// SignatureAlgorithms are the SignatureMethod URIs accepted; empty
	// means RSA-SHA256 only. Add SigRSASHA1 only for a party configured
	// for it (SignatureMethods gives the list for a party's setting): a
	// token signed with anything else is refused, so a downgrade cannot
	// pass unnoticed. See CheckSignatureAlgorithms for the digests.
	SignatureAlgorithms []string
}

// Token is what a verified SAML 1.1 assertion says.
type Token struct {
	AssertionID        string
	Issuer             string
	Audience           string
	IssueInstant       time.Time
	NotBefore          time.Time
	NotOnOrAfter       time.Time
	NameID             string
	NameIDFormat       string
	AuthMethod         string
	AuthInstant        time.Time
	Claims             []claims.Claim
	SignatureAlgorithm string // SignatureMethod URI
	SigningCert        *x509.Certificate
}

// Fault names what was wrong with a token.
type Fault string

// The faults VerifyError reports.
const (
	FaultConfig          Fault = "config"           // VerifyOptions unusable
	FaultTooLarge        Fault = "too_large"        // over MaxTokenSize
	FaultMalformed       Fault = "malformed"        // not (round-trip safe) XML
	FaultStructure       Fault = "structure"        // not the expected RSTR/assertion shape
	FaultUntrustedKey    Fault = "untrusted_key"    // signer not trusted, or its cert not valid now
	FaultSignature       Fault = "signature"        // missing or invalid signature/digest
	FaultAudience        Fault = "audience"         // Audience/AppliesTo mismatch
	FaultNotYetValid     Fault = "not_yet_valid"    // before NotBefore - skew
	FaultExpired         Fault = "expired"          // at/after NotOnOrAfter + skew
	FaultSubjectMismatch Fault = "subject_mismatch" // statements disagree on the subject
)

// VerifyError is a refused token.
type VerifyError struct {
	Fault  Fault
	Detail string
	Err    error
}

func (e *VerifyError) Error() string {
	s := "sts: token rejected (" + string(e.Fault) + "): " + e.Detail
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *VerifyError) Unwrap() error { return e.Err }

func vErr(f Fault, err error, format string, args ...any) *VerifyError {
	return &VerifyError{Fault: f, Detail: fmt.Sprintf(format, args...), Err: err}
}

// VerifyWSFedResult verifies a wresult: a single WS-Trust 2005/02
// RequestSecurityTokenResponse carrying one signed SAML 1.1 assertion.
func VerifyWSFedResult(wresult []byte, opts VerifyOptions) (*Token, error) {
	root, err := parseUntrusted(wresult, opts)
	if err != nil {
		return nil, err
	}
	if !xmlsafe.Is(root, NSTrust2005, "RequestSecurityTokenResponse") {
		return nil, vErr(FaultStructure, nil, "root is %s, want t:RequestSecurityTokenResponse (WS-Trust 2005/02)", root.FullTag())
	}
	rst := xmlsafe.Children(root, NSTrust2005, "RequestedSecurityToken")
	if len(rst) != 1 {
		return nil, vErr(FaultStructure, nil, "%d RequestedSecurityToken elements, want 1", len(rst))
	}
	inner := rst[0].ChildElements()
	if len(inner) != 1 || !xmlsafe.Is(inner[0], NSSAML11, "Assertion") {
		return nil, vErr(FaultStructure, nil, "RequestedSecurityToken must hold exactly one SAML 1.1 assertion")
	}
	// Carry namespaces declared on the wrapper into the detached copy.
	assertion, err := xmlsafe.Detach(inner[0])
	if err != nil {
		return nil, vErr(FaultMalformed, err, "namespaces")
	}
	tok, err := verifyAssertion(assertion, opts)
	if err != nil {
		return nil, err
	}
	var addrs []*etree.Element
	for _, at := range xmlsafe.Children(root, NSPolicy, "AppliesTo") {
		for _, epr := range xmlsafe.Children(at, NSAddressing, "EndpointReference") {
			addrs = append(addrs, xmlsafe.Children(epr, NSAddressing, "Address")...)
		}
	}
	for _, a := range addrs {
		if a.Text() != tok.Audience {
			return nil, vErr(FaultAudience, nil, "AppliesTo %q differs from Audience %q", clip(a.Text()), clip(tok.Audience))
		}
	}
	return tok, nil
}

// VerifySAML11Assertion verifies a bare signed SAML 1.1 assertion.
func VerifySAML11Assertion(assertion []byte, opts VerifyOptions) (*Token, error) {
	root, err := parseUntrusted(assertion, opts)
	if err != nil {
		return nil, err
	}
	if !xmlsafe.Is(root, NSSAML11, "Assertion") {
		return nil, vErr(FaultStructure, nil, "root is %s, want saml:Assertion (SAML 1.1)", root.FullTag())
	}
	return verifyAssertion(root, opts)
}

// parseUntrusted passes b through the one gate for untrusted XML
// (xmlsafe.Read: size cap, no "<!" construct, round-trip check) before
// anything is parsed for use: encoding/xml quirks must not let the
// signature see one document and the reader another.
func parseUntrusted(b []byte, opts VerifyOptions) (*etree.Element, error) {
	if len(opts.TrustedCerts) == 0 {
		return nil, vErr(FaultConfig, nil, "no trusted certificates")
	}
	if opts.Audience == "" {
		return nil, vErr(FaultConfig, nil, "no expected audience")
	}
	doc, err := xmlsafe.Read(b, MaxTokenSize)
	if errors.Is(err, xmlsafe.ErrTooLarge) {
		return nil, vErr(FaultTooLarge, err, "%d bytes, limit %d", len(b), MaxTokenSize)
	}
	if err != nil {
		return nil, vErr(FaultMalformed, err, "untrusted XML gate")
	}
	return doc.Root(), nil
}

// verifyAssertion checks the signature and then reads the token only from
// the bytes the signature covers (what goxmldsig returns), never from the
// untrusted tree.
func verifyAssertion(el *etree.Element, opts VerifyOptions) (*Token, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	skew := opts.Skew
	if skew == 0 {
		skew = DefaultSkew
	}
	sigs := xmlsafe.Children(el, NSDSig, "Signature")
	if len(sigs) != 1 {
		return nil, vErr(FaultSignature, nil, "%d ds:Signature children on the assertion, want 1", len(sigs))
	}
	cert, err := trustedSigner(sigs[0], opts.TrustedCerts)
	if err != nil {
		return nil, err
	}
	if err := CheckSignatureAlgorithms(sigs[0], opts.SignatureAlgorithms); err != nil {
		return nil, vErr(FaultSignature, err, "algorithm policy")
	}
	if !opts.IgnoreTime {
		t := now()
		if t.Add(skew).Before(cert.NotBefore) || t.Add(-skew).After(cert.NotAfter) {
			return nil, vErr(FaultUntrustedKey, nil, "signing certificate valid %s..%s, not at %s",
				formatTime(cert.NotBefore), formatTime(cert.NotAfter), formatTime(t))
		}
	}
	// Certificate time was judged above (or deliberately skipped);
	// VerifyEnveloped leaves dates alone.
	verified, err := xmlsafe.VerifyEnveloped(el, cert, assertionIDAttr)
	if err != nil {
		return nil, vErr(FaultSignature, err, "assertion %q", clip(el.SelectAttrValue(assertionIDAttr, "")))
	}
	tok, err := readAssertion(verified)
	if err != nil {
		return nil, err
	}
	tok.SigningCert = cert
	if sm := xmlsafe.SignatureMethod(sigs[0]); sm != "" {
		tok.SignatureAlgorithm = sm
	}
	if err := checkAudience(verified, opts.Audience); err != nil {
		return nil, err
	}
	tok.Audience = opts.Audience
	if !opts.IgnoreTime {
		t := now()
		if t.Add(skew).Before(tok.NotBefore) {
			return nil, vErr(FaultNotYetValid, nil, "NotBefore %s, now %s, skew %s", formatTime(tok.NotBefore), formatTime(t), skew)
		}
		if !t.Add(-skew).Before(tok.NotOnOrAfter) {
			return nil, vErr(FaultExpired, nil, "NotOnOrAfter %s, now %s, skew %s", formatTime(tok.NotOnOrAfter), formatTime(t), skew)
		}
	}
	return tok, nil
}

// trustedSigner returns the trusted certificate the KeyInfo certificate
// is, byte for byte. KeyInfo is required (AD FS needs it to find the
// claims provider trust), and a certificate that merely carries a trusted
// public key is not enough: its dates and subject would be the signer's
// own claims, so an expired key could mint a fresh-looking certificate.
func trustedSigner(sig *etree.Element, trusted []*x509.Certificate) (*x509.Certificate, error) {
	inKeyInfo, err := xmlsafe.KeyInfoCerts(sig)
	if err != nil {
		return nil, vErr(FaultUntrustedKey, err, "signature KeyInfo")
	}
	if len(inKeyInfo) == 0 {
		return nil, vErr(FaultUntrustedKey, nil, "no X509Certificate in KeyInfo")
	}
	embedded := inKeyInfo[0]
	for _, t := range trusted {
		if t == nil {
			continue
		}
		if bytes.Equal(t.Raw, embedded.Raw) {
			return t, nil
		}
	}
	return nil, vErr(FaultUntrustedKey, nil, "signing certificate %q is not trusted", embedded.Subject.String())
}
