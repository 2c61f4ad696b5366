package explain

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	dsig "github.com/russellhaering/goxmldsig"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/sts/xmlsafe"
)

// sigResult is what the signature, cr-handling and signing-key rules report from.
type sigResult struct {
	unsigned bool
	cert     *x509.Certificate // KeyInfo certificate (or the trusted one that verified)
	keyInfo  bool              // cert came from KeyInfo
	badKey   error             // KeyInfo holds a certificate that does not decode
	err      error             // nil when the signature verified (possibly after CR escaping)
	crFixed  bool              // verified only with raw CRs written as &#13;
	rawCR    bool              // the input holds a raw CR byte
	crClaims []string          // claim types whose values hold a CR once escaped
	crErr    error             // the as-is error when crFixed
}

// verifySignature checks the assertion's enveloped signature as AD FS would
// (parsed bytes), then, on failure with raw CRs present, as the signer meant it.
func verifySignature(raw []byte, t *token, opts Options, maxBytes int64) sigResult {
	var r sigResult
	sig := xmlsafe.Child(t.assertion, xmlsafe.NSDSig, "Signature")
	if sig == nil {
		r.unsigned = true
		return r
	}
	cands, err := xmlsafe.KeyInfoCerts(sig)
	if err != nil {
		// AD FS cannot find the trust from a certificate it cannot read.
		r.err, r.badKey = err, err
		return r
	}
	r.keyInfo = len(cands) > 0
	if !r.keyInfo {
		cands = opts.TrustedCerts
	}
	if len(cands) == 0 {
		r.err = errors.New("the signature has no KeyInfo certificate and no trusted certificates were given")
		return r
	}
	r.cert, r.err = validateWith(t, cands)
	r.rawCR = bytes.IndexByte(raw, '\r') >= 0
	if r.err == nil || !r.rawCR {
		return r
	}
	// Re-parse with CRs preserved and try again.
	d, err := xmlsafe.Read(escapeCR(raw), maxBytes)
	if err != nil {
		return r
	}
	t2 := locate(d.Root())
	if t2.assertion == nil {
		return r
	}
	for _, c := range t2.claims() {
		for _, v := range c.Values {
			if strings.ContainsRune(v, '\r') {
				r.crClaims = append(r.crClaims, c.Type)
				break
			}
		}
	}
	if cert, err := validateWith(t2, cands); err == nil {
		r.crErr, r.err, r.cert, r.crFixed = r.err, nil, cert, true
	}
	return r
}

// validateWith tries each candidate certificate. Expiry is not what this
// rule is about (signing-key reports it), and xmlsafe.VerifyEnveloped
// leaves dates alone.
func validateWith(t *token, cands []*x509.Certificate) (*x509.Certificate, error) {
	el, err := xmlsafe.Detach(t.assertion)
	if err != nil {
		return nil, err
	}
	var firstErr error
	for _, c := range cands {
		if _, err := xmlsafe.VerifyEnveloped(el, c, t.idAttr); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		return c, nil
	}
	return cands[0], firstErr
}

// describeSigErr turns goxmldsig's messages into what the admin should read.
func describeSigErr(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "verification error"):
		return "SignatureValue does not match SignedInfo under the signing key (wrong key or SignedInfo changed)"
	case msg == "Signature could not be verified":
		return "digest mismatch: the signed content was changed after signing, or the signer canonicalised different bytes than were sent"
	case errors.Is(err, dsig.ErrMissingSignature):
		return "no signature references this assertion's ID"
	}
	return "signature does not verify: " + msg
}

func signatureChecks(r sigResult, opts Options, now time.Time) []Check {
	const fixSig = "sign the assertion on its own with exclusive c14n, declare xmlns:saml on the Assertion, and never re-indent or re-serialise it after signing"
	var out []Check
	switch {
	case r.unsigned:
		out = append(out, fail(CheckSignature, "364/MSIS7012", "the assertion is not signed", "AD FS requires a signed assertion; sign it with the key on the claims provider trust"))
	case r.badKey != nil:
		// AD FS stops at the key (signing-key); there is nothing to verify with.
		out = append(out, skip(CheckSignature, "not checked: the KeyInfo certificate does not decode (see "+CheckSigningKey+")"))
	case r.err != nil:
		out = append(out, fail(CheckSignature, "364/MSIS7012", describeSigErr(r.err), fixSig))
	case r.crFixed:
		out = append(out, pass(CheckSignature, "valid for the content the signer canonicalised once raw CRs are written as &#13; (see "+CheckCR+")"))
	default:
		out = append(out, pass(CheckSignature, "digest and signature value verify ("+subject(r.cert)+")"))
	}

	switch {
	case !r.rawCR:
		out = append(out, pass(CheckCR, "no raw carriage return in the token"))
	case r.crFixed:
		where := "a claim value"
		if len(r.crClaims) > 0 {
			where = "the value of " + strings.Join(r.crClaims, ", ")
		}
		out = append(out, fail(CheckCR, "364/MSIS7012",
			where+" contains a raw CR. The signer canonicalised it as &#xD;, but AD FS's XML parser turns CR LF into LF before verifying (XML 1.0 §2.11), so the digest fails",
			"write CR as &#13; when serialising (etree WriteSettings.CanonicalText/CanonicalAttrVal) or normalise CR LF to LF in claim values before signing"))
	case r.err == nil:
		out = append(out, pass(CheckCR, "raw CR present but outside signed values (the signature still verifies)"))
	default:
		out = append(out, fail(CheckCR, "364/MSIS7012", "raw CR present and the signature fails even with CRs escaped; the CR is not the only fault",
			"fix the "+CheckSignature+" failure first, then write CR as &#13;"))
	}

	switch {
	case r.unsigned:
		out = append(out, skip(CheckSigningKey, "no signature"))
	case r.badKey != nil:
		out = append(out, fail(CheckSigningKey, "364/ID4037", "the key needed to verify the signature cannot be resolved: "+r.badKey.Error(),
			"put the signing certificate (leaf only, base64 DER) in ds:KeyInfo/X509Data/X509Certificate"))
	case r.cert == nil || !r.keyInfo:
		// Even when a trusted certificate happens to verify it, AD FS finds
		// the claims provider trust through KeyInfo.
		out = append(out, fail(CheckSigningKey, "364/ID4037", "the key needed to verify the signature cannot be resolved (no KeyInfo X509Certificate)",
			"include ds:KeyInfo/X509Data/X509Certificate with the signing certificate (leaf only)"))
	case len(opts.TrustedCerts) == 0:
		out = append(out, skip(CheckSigningKey, "no trusted certificates given; signed by "+subject(r.cert)))
	case trusted(r.cert, opts.TrustedCerts) && (now.Before(r.cert.NotBefore) || now.After(r.cert.NotAfter)):
		out = append(out, fail(CheckSigningKey, "364 (\"Claims Provider Signing Certificate Is Not Valid\")",
			fmt.Sprintf("signed by %s, which is on the claims provider trust but valid only %s to %s, not at %s",
				subject(r.cert), r.cert.NotBefore.UTC().Format(time.RFC3339), r.cert.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)),
			"roll claimgate's signing key over to a valid certificate (docs/adfs.md), or judge an old capture with --at"))
	case trusted(r.cert, opts.TrustedCerts):
		out = append(out, pass(CheckSigningKey, "signed by "+subject(r.cert)+", which is on the claims provider trust"))
	default:
		out = append(out, fail(CheckSigningKey, "371/ID4037",
			"signed by "+subject(r.cert)+", which is not a token-signing certificate of the claims provider trust (event 371 \"Unmatched Token Issuer\")",
			"publish claimgate's current signing certificate in its metadata and run Update-AdfsClaimsProviderTrust, or sign with the certificate the trust holds"))
	}
	return out
}

func trusted(c *x509.Certificate, roots []*x509.Certificate) bool {
	for _, r := range roots {
		if r != nil && r.Equal(c) { // AD FS matches the certificate (thumbprint), not just the key
			return true
		}
	}
	return false
}

func subject(c *x509.Certificate) string {
	if c == nil {
		return "an unknown key"
	}
	return fmt.Sprintf("%s (SHA-1 %s)", c.Subject, certs.ThumbprintSHA1(c))
}
