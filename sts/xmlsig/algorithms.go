package xmlsig

import (
	"crypto"
	"fmt"
	"slices"
	"strings"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/xmlsafe"
)

// Signature algorithm names as configured (a relying party's
// signature_algorithm, RelyingParty.SignatureAlgorithm).
const (
	AlgRSASHA256 = "rsa-sha256"
	AlgRSASHA1   = "rsa-sha1"
)

// Signature and digest method URIs the verifier knows by name.
const (
	SigRSASHA256    = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	SigRSASHA1      = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	DigestSHA256URI = "http://www.w3.org/2001/04/xmlenc#sha256"
	DigestSHA1URI   = "http://www.w3.org/2000/09/xmldsig#sha1"
)

// hashFor is the hash a Signer signs with for the algorithm name alg (""
// is rsa-sha256).
func hashFor(alg string) (crypto.Hash, bool) {
	switch alg {
	case "", AlgRSASHA256:
		return crypto.SHA256, true
	case AlgRSASHA1:
		return crypto.SHA1, true
	}
	return 0, false
}

// CheckAlgorithm reports whether alg is a configuration name claimgate
// signs and verifies with: AlgRSASHA256, "" for the same, or AlgRSASHA1.
func CheckAlgorithm(alg string) error {
	if _, ok := hashFor(alg); !ok {
		return fmt.Errorf("signature algorithm %q is not %q or %q", alg, AlgRSASHA256, AlgRSASHA1)
	}
	return nil
}

// SignatureMethods returns the SignatureMethod URIs a party configured
// with alg (AlgRSASHA256, "" for the same, or AlgRSASHA1) accepts, for
// Trust.Algorithms. SHA-1 is tolerated next to SHA-256, never required:
// that is how AD FS reads a trust's SignatureAlgorithm, refusing only a
// signature weaker than the one set (event 372, "Weak Signature Algorithm
// Error").
func SignatureMethods(alg string) ([]string, error) {
	switch alg {
	case "", AlgRSASHA256:
		return []string{SigRSASHA256}, nil
	case AlgRSASHA1:
		return []string{SigRSASHA256, SigRSASHA1}, nil
	}
	return nil, fmt.Errorf("sts: %w", CheckAlgorithm(alg))
}

// CheckSignatureAlgorithms is the algorithm policy of the verifier and of
// explain, one function so that the two cannot disagree. sig's
// SignatureMethod must be one of allowed (empty: RSA-SHA256 only), and
// every Reference digest SHA-256, or SHA-1 as well when SigRSASHA1 is
// allowed: a SHA-1 digest under an RSA-SHA256 signature is as weak as an
// RSA-SHA1 signature, so it is no way around the policy.
func CheckSignatureAlgorithms(sig *etree.Element, allowed []string) error {
	if len(allowed) == 0 {
		allowed = []string{SigRSASHA256}
	}
	if sm := xmlsafe.SignatureMethod(sig); !slices.Contains(allowed, sm) {
		return fmt.Errorf("signature method %q is not allowed (allowed: %s)", sm, strings.Join(allowed, ", "))
	}
	digests := []string{DigestSHA256URI}
	if slices.Contains(allowed, SigRSASHA1) {
		digests = append(digests, DigestSHA1URI)
	}
	for _, d := range xmlsafe.DigestMethods(sig) {
		if !slices.Contains(digests, d) {
			return fmt.Errorf("digest method %q is not allowed (allowed: %s)", d, strings.Join(digests, ", "))
		}
	}
	return nil
}
