package saml11

import (
	"crypto/x509"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts/internal/xmltext"
	"github.com/claimgate/claimgate/sts/xmlsafe"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// MaxTokenSize caps what the verifier parses. AD FS tokens are a few KiB;
// ours grow with group SIDs but stay far below this.
const MaxTokenSize = xmlsafe.DefaultMaxBytes

// DefaultSkew is the clock drift VerifyOptions tolerates when Skew is 0
// (WIF's default).
const DefaultSkew = 5 * time.Minute

// VerifyOptions says what a token must satisfy.
type VerifyOptions struct {
	// TrustedCerts are the issuer's signing certificates. The KeyInfo
	// certificate must equal one of them byte for byte.
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
	// means RSA-SHA256 only. Add xmlsig.SigRSASHA1 only for a party
	// configured for it (xmlsig.SignatureMethods gives the list for a
	// party's setting): a token signed with anything else is refused, so a
	// downgrade cannot pass unnoticed. See xmlsig.CheckSignatureAlgorithms
	// for the digests.
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

// VerifyAssertion verifies a bare signed SAML 1.1 assertion.
func VerifyAssertion(assertion []byte, opts VerifyOptions) (*Token, error) {
	root, err := ReadUntrusted(assertion, opts)
	if err != nil {
		return nil, err
	}
	if !xmlsafe.Is(root, NSAssertion, "Assertion") {
		return nil, xmlsig.Reject(xmlsig.FaultStructure, nil, "root is %s, want saml:Assertion (SAML 1.1)", root.FullTag())
	}
	return VerifyElement(root, opts)
}

// ReadUntrusted checks opts and then passes b through the one gate for
// untrusted XML (xmlsig.ReadUntrusted, capped at MaxTokenSize). Wrappers
// of an assertion (the WS-Fed RSTR) read their bytes with it too.
func ReadUntrusted(b []byte, opts VerifyOptions) (*etree.Element, error) {
	if len(opts.TrustedCerts) == 0 {
		return nil, xmlsig.Reject(xmlsig.FaultConfig, nil, "no trusted certificates")
	}
	if opts.Audience == "" {
		return nil, xmlsig.Reject(xmlsig.FaultConfig, nil, "no expected audience")
	}
	return xmlsig.ReadUntrusted(b, MaxTokenSize)
}

// VerifyElement verifies an assertion element read by ReadUntrusted (and
// detached from its wrapper with xmlsafe.Detach): it checks the signature
// and then reads the token only from the bytes the signature covers (what
// goxmldsig returns), never from the untrusted tree.
func VerifyElement(el *etree.Element, opts VerifyOptions) (*Token, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	skew := opts.Skew
	if skew == 0 {
		skew = DefaultSkew
	}
	v, err := xmlsig.Verify(el, layout(), xmlsig.Trust{
		Certs: opts.TrustedCerts, Algorithms: opts.SignatureAlgorithms, Now: now, Skew: skew, IgnoreTime: opts.IgnoreTime,
	})
	if err != nil {
		return nil, err
	}
	tok, err := readAssertion(v.Element)
	if err != nil {
		return nil, err
	}
	tok.SigningCert = v.Cert
	if v.SignatureMethod != "" {
		tok.SignatureAlgorithm = v.SignatureMethod
	}
	if err := checkAudience(v.Element, opts.Audience); err != nil {
		return nil, err
	}
	tok.Audience = opts.Audience
	if !opts.IgnoreTime {
		t := now()
		if t.Add(skew).Before(tok.NotBefore) {
			return nil, xmlsig.Reject(xmlsig.FaultNotYetValid, nil, "NotBefore %s, now %s, skew %s", xmltext.FormatTime(tok.NotBefore), xmltext.FormatTime(t), skew)
		}
		if !t.Add(-skew).Before(tok.NotOnOrAfter) {
			return nil, xmlsig.Reject(xmlsig.FaultExpired, nil, "NotOnOrAfter %s, now %s, skew %s", xmltext.FormatTime(tok.NotOnOrAfter), xmltext.FormatTime(t), skew)
		}
	}
	return tok, nil
}
