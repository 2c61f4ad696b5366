package explain

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/xmlsafe"
)

// signedPart is a Response or an assertion and its enveloped signature.
type signedPart struct {
	el       *etree.Element // as parsed
	sig      *etree.Element // its ds:Signature child; nil when unsigned
	cert     *x509.Certificate
	keyInfo  bool  // cert came from KeyInfo
	badKey   error // KeyInfo holds a certificate that does not decode
	err      error // nil when the signature verified
	verified *etree.Element
}

// read is the element the rules read: what the signature covers when it
// verified, else the element as parsed (the signature rule fails then).
func (p signedPart) read() *etree.Element {
	if p.verified != nil {
		return p.verified
	}
	return p.el
}

func (p signedPart) ok() bool { return p.sig != nil && p.err == nil }

// verifyPart checks el's signature with its KeyInfo certificate, or with
// each trusted one when KeyInfo has none. Trust in the certificate is the
// signing-key rule's business, not this one's.
func verifyPart(el *etree.Element, trustedCerts []*x509.Certificate) signedPart {
	p := signedPart{el: el, sig: xmlsafe.Child(el, xmlsafe.NSDSig, "Signature")}
	if p.sig == nil {
		return p
	}
	cands, err := xmlsafe.KeyInfoCerts(p.sig)
	if err != nil {
		p.err, p.badKey = err, err
		return p
	}
	p.keyInfo = len(cands) > 0
	if !p.keyInfo {
		cands = trustedCerts
	}
	if len(cands) == 0 {
		p.err = errors.New("the signature has no KeyInfo certificate and no trusted certificates were given")
		return p
	}
	d, err := xmlsafe.Detach(el)
	if err != nil {
		p.err = err
		return p
	}
	p.cert = cands[0]
	for _, c := range cands {
		v, err := xmlsafe.VerifyEnveloped(d, c, "ID")
		if err != nil {
			if p.err == nil {
				p.err = err
			}
			continue
		}
		p.cert, p.err, p.verified = c, nil, v
		return p
	}
	return p
}

// parts are the signed elements present, Response first.
func (s *samlResponse) parts() []namedPart {
	var out []namedPart
	if s.resp.sig != nil {
		out = append(out, namedPart{"Response", s.resp})
	}
	if s.tok != nil && s.assertion.sig != nil {
		out = append(out, namedPart{"assertion", s.assertion})
	}
	return out
}

type namedPart struct {
	name string
	signedPart
}

// wrappingCheck refuses the shapes of XML signature wrapping: a second
// assertion beside or inside the one that is signed, where a careless
// service provider reads the unsigned one.
func (s *samlResponse) wrappingCheck() Check {
	const fix = "send exactly one Assertion (or EncryptedAssertion) as a direct child of the Response, and nothing that looks like one anywhere else"
	n := s.assertions + s.encrypted
	switch {
	case !s.success() && n == 0 && s.nested == 0:
		return pass(CheckWrapping, "error Response without an assertion")
	case n != 1:
		return fail(CheckWrapping, codeSAML, fmt.Sprintf("the Response carries %d Assertion and %d EncryptedAssertion elements; exactly one is allowed, and an extra unsigned one is how signature wrapping smuggles in claims", s.assertions, s.encrypted), fix)
	case s.nested > 0:
		return fail(CheckWrapping, codeSAML, fmt.Sprintf("%d Assertion element(s) nested below the Response's children (in Extensions, Advice or a wrapper): signature wrapping", s.nested), fix)
	}
	return pass(CheckWrapping, "one assertion, a direct child of the Response; the rules read what the signature covers")
}

func (s *samlResponse) signatureChecks(opts Options, now time.Time, allowed []string) []Check {
	parts := s.parts()
	var out []Check
	switch {
	case len(parts) == 0 && !s.success():
		out = append(out, pass(CheckSignature, "the error Response is not signed (allowed: it grants nothing)"))
	case len(parts) == 0 && s.tok == nil:
		out = append(out, skip(CheckSignature, "the Response is not signed and "+s.noAssertion()))
	case len(parts) == 0:
		out = append(out, fail(CheckSignature, codeSAML, "neither the Response nor the assertion is signed", "sign the assertion (AD FS's metadata says WantAssertionsSigned=\"true\")"))
	case s.tok != nil && s.assertion.sig == nil:
		out = append(out, fail(CheckSignature, codeSAML, "only the Response is signed; AD FS's metadata says WantAssertionsSigned=\"true\", so the assertion must be signed too",
			"sign the assertion, with the signature right after its Issuer"))
	default:
		var msgs []string
		var bad []string
		for _, p := range parts {
			switch {
			case p.badKey != nil:
				bad = append(bad, p.name+": not checked, the KeyInfo certificate does not decode")
			case p.err != nil:
				bad = append(bad, p.name+": "+describeSigErr(p.err))
			default:
				msgs = append(msgs, p.name+" signed, digest and signature value verify ("+subject(p.cert)+")")
			}
		}
		if len(bad) > 0 {
			out = append(out, fail(CheckSignature, codeSAML, strings.Join(bad, "; "),
				"sign with exclusive c14n and send the bytes untouched; a signature over changed content means the message was altered"))
		} else {
			out = append(out, pass(CheckSignature, strings.Join(msgs, "; ")))
		}
	}
	out = append(out, referenceCheck(parts))
	out = append(out, s.signingKeyCheck(parts, opts, now))
	out = append(out, samlAlgorithmCheck(parts, opts.SignatureAlgorithm, allowed))
	return out
}

// referenceCheck: each signature has exactly one Reference, to the ID of
// the element it sits in, so what is verified is what is read.
func referenceCheck(parts []namedPart) Check {
	if len(parts) == 0 {
		return skip(CheckSigReference, "no signature")
	}
	var bad, good []string
	for _, p := range parts {
		var uris []string
		for _, si := range xmlsafe.Children(p.sig, xmlsafe.NSDSig, "SignedInfo") {
			for _, ref := range xmlsafe.Children(si, xmlsafe.NSDSig, "Reference") {
				uris = append(uris, ref.SelectAttrValue("URI", ""))
			}
		}
		id := p.el.SelectAttrValue("ID", "")
		switch {
		case len(uris) != 1:
			bad = append(bad, fmt.Sprintf("the %s's signature has %d References; exactly one is allowed", p.name, len(uris)))
		case uris[0] != "#"+id:
			bad = append(bad, fmt.Sprintf("the %s's signature references %q, not its own ID %q", p.name, uris[0], id))
		default:
			good = append(good, fmt.Sprintf("%s: one Reference, URI %q = its ID", p.name, uris[0]))
		}
	}
	if len(bad) > 0 {
		return fail(CheckSigReference, codeSAML, strings.Join(bad, "; "), "sign each element with one Reference to its own ID (URI=\"#ID\")")
	}
	return pass(CheckSigReference, strings.Join(good, "; "))
}

func (s *samlResponse) signingKeyCheck(parts []namedPart, opts Options, now time.Time) Check {
	if len(parts) == 0 {
		return skip(CheckSigningKey, "no signature")
	}
	for _, p := range parts {
		switch {
		case p.badKey != nil:
			return fail(CheckSigningKey, codeSAML, "the "+p.name+"'s KeyInfo certificate does not decode: "+p.badKey.Error(),
				"put the signing certificate (leaf only, base64 DER) in ds:KeyInfo/X509Data/X509Certificate")
		case !p.keyInfo:
			return fail(CheckSigningKey, codeSAML, "the "+p.name+"'s signature has no KeyInfo X509Certificate",
				"include ds:KeyInfo/X509Data/X509Certificate with the signing certificate")
		case len(opts.TrustedCerts) == 0:
		case !trusted(p.cert, opts.TrustedCerts):
			return fail(CheckSigningKey, codeSAML, "the "+p.name+" is signed by "+subject(p.cert)+", which is not a token-signing certificate of the claims provider trust",
				"publish claimgate's current signing certificate in its metadata and run Update-AdfsClaimsProviderTrust")
		case now.Before(p.cert.NotBefore) || now.After(p.cert.NotAfter):
			return fail(CheckSigningKey, codeSAML, fmt.Sprintf("the %s is signed by %s, valid only %s to %s, not at %s", p.name, subject(p.cert),
				p.cert.NotBefore.UTC().Format(time.RFC3339), p.cert.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)),
				"roll claimgate's signing key over to a valid certificate (docs/adfs.md), or judge an old capture with --at")
		}
	}
	if len(opts.TrustedCerts) == 0 {
		return skip(CheckSigningKey, "no trusted certificates given; signed by "+subject(parts[0].cert))
	}
	return pass(CheckSigningKey, "signed by "+subject(parts[0].cert)+", which is on the claims provider trust")
}

func samlAlgorithmCheck(parts []namedPart, alg string, allowed []string) Check {
	if len(parts) == 0 {
		return skip(CheckSigAlgorithm, "no signature")
	}
	var c Check
	for _, p := range parts {
		if c = algorithmCheckSig(p.sig, alg, allowed); !c.OK {
			c.Message = "the " + p.name + "'s " + c.Message
			return c
		}
	}
	return c
}
