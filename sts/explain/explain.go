package explain

import (
	"fmt"
	"time"

	"github.com/claimgate/claimgate/sts/xmlsafe"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// DefaultMaxSkew is the clock skew allowed when Options.MaxSkew is zero.
const DefaultMaxSkew = 5 * time.Minute

// Explain evaluates a captured token against AD FS's acceptance rules. input is
// a wresult (RSTR XML), a whole form POST body (url-encoded), a bare SAML 1.1
// assertion, or a SAML 2.0 Response (XML, base64 or a SAMLResponse form body).
// A SAML 2.0 Response is judged by its own rules (SAML2CheckNames), the
// others by CheckNames. The error is non-nil only
// when the Options are unusable or the input cannot be decoded at all; every
// finding about the token itself is a Check in the Report.
func Explain(input []byte, opts Options) (*Report, error) {
	allowed, err := xmlsig.SignatureMethods(opts.SignatureAlgorithm)
	if err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	raw, desc, err := decodeInput(input)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	skew := opts.MaxSkew
	if skew == 0 {
		skew = DefaultMaxSkew
	}
	r := &Report{Input: desc}
	defer func() { r.Accepted = len(r.Failed()) == 0 && r.Refusal == "" }()

	d, err := xmlsafe.Read(raw, opts.MaxBytes)
	if err != nil {
		code := "364/MSIS7000"
		r.add(fail(CheckWellFormed, code, err.Error(), "send one well-formed XML document without a DOCTYPE, comments or CDATA sections"))
		r.skipRest(CheckNames(), CheckWellFormed, "input is not usable XML")
		return r, nil
	}
	r.add(pass(CheckWellFormed, "well-formed, no DOCTYPE, comment or CDATA, round-trips through encoding/xml"))

	if root := d.Root(); xmlsafe.Is(root, nsSAML2P, "Response") {
		r.Input = desc + ": SAML 2.0 Response"
		explainResponse(r, root, opts, now(), skew, allowed)
		return r, nil
	}

	t := locate(d.Root())
	r.Input = desc + ": " + t.kind
	switch {
	case t.shapeErr != "":
		r.add(fail(CheckShape, "364/MSIS7000", t.shapeErr, "post a single WS-Trust 2005/02 RequestSecurityTokenResponse holding one signed saml:Assertion (protocol notes §2)"))
	case t.rstr == nil:
		r.add(skip(CheckShape, "no RSTR around the assertion ("+t.kind+")"))
	default:
		r.add(pass(CheckShape, "single RSTR with one RequestedSecurityToken holding a SAML "+t.version+" assertion"+t.shapeNote))
	}
	if t.assertion == nil {
		r.skipRest(CheckNames(), CheckShape, "no assertion to examine")
		return r, nil
	}
	r.add(versionCheck(t))
	r.add(idCheck(t))
	for _, c := range signatureChecks(verifySignature(raw, t, opts, opts.MaxBytes), opts, now()) {
		r.add(c)
	}
	r.add(algorithmCheck(t, opts.SignatureAlgorithm, allowed))
	r.add(issuerCheck(t, opts))
	for _, c := range audienceChecks(t, opts) {
		r.add(c)
	}
	r.add(lifetimeCheck(t, now(), skew))
	r.add(authnCheck(t))
	r.add(authnMethodCheck(t, opts.Request))
	r.add(subjectsCheck(t))
	r.add(forbiddenCheck(t))
	r.Claims = t.claims()
	return r, nil
}

// skipRest marks every check of names after the named one as skipped.
func (r *Report) skipRest(names []string, after, why string) {
	for i, n := range names {
		if n == after {
			for _, m := range names[i+1:] {
				r.add(skip(m, why))
			}
			return
		}
	}
}
