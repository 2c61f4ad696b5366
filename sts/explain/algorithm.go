package explain

import (
	"fmt"
	"strings"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/xmlsafe"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// codeWeakAlgorithm is what AD FS logs for a token signed more weakly than
// the claims provider trust's SignatureAlgorithm: event 372 of its
// management pack (TokenIssuanceWeakSignatureAlgorithmErrorRule, "signed
// with the signature algorithm '{0}' which is not the expected signature
// algorithm '{1}'"), whose fix is Set-AdfsClaimsProviderTrust
// -SignatureAlgorithm.
const codeWeakAlgorithm = `372 ("Weak Signature Algorithm Error")`

// algorithmCheck judges SignedInfo's algorithms with the verifier's own
// policy (xmlsig.CheckSignatureAlgorithms), so explain cannot pass a token the
// demo relying party or claimgate's tests would refuse, nor the reverse.
// A valid signature is not enough: AD FS refuses an RSA-SHA1 token when
// its trust says RSA-SHA256, however well the signature verifies.
func algorithmCheck(t *token, alg string, allowed []string) Check {
	return algorithmCheckSig(xmlsafe.Child(t.assertion, xmlsafe.NSDSig, "Signature"), alg, allowed)
}

// algorithmCheckSig judges one ds:Signature (nil: unsigned).
func algorithmCheckSig(sig *etree.Element, alg string, allowed []string) Check {
	if sig == nil {
		return skip(CheckSigAlgorithm, "no signature")
	}
	if alg == "" {
		alg = xmlsig.AlgRSASHA256
	}
	trust := fmt.Sprintf("the claims provider trust's SignatureAlgorithm is %s (%s)", alg, trustURI(alg))
	got := fmt.Sprintf("SignatureMethod %s, DigestMethod %s", xmlsafe.SignatureMethod(sig), strings.Join(xmlsafe.DigestMethods(sig), ", "))
	if err := xmlsig.CheckSignatureAlgorithms(sig, allowed); err != nil {
		return fail(CheckSigAlgorithm, codeWeakAlgorithm,
			fmt.Sprintf("%s; %s, and AD FS refuses a token signed more weakly than that: %v", got, trust, err),
			"sign with rsa-sha256 and SHA-256 digests (the relying party's signature_algorithm, default signing.signature_algorithm); "+
				"only for a farm that cannot do SHA-256, set both sides to SHA-1: signature_algorithm: rsa-sha1 and "+
				"Set-AdfsClaimsProviderTrust -TargetName claimgate -SignatureAlgorithm "+xmlsig.SigRSASHA1)
	}
	return pass(CheckSigAlgorithm, got+"; "+trust+", which accepts it")
}

// trustURI is the Set-AdfsClaimsProviderTrust -SignatureAlgorithm value
// for a configuration name.
func trustURI(alg string) string {
	if alg == xmlsig.AlgRSASHA1 {
		return xmlsig.SigRSASHA1
	}
	return xmlsig.SigRSASHA256
}
