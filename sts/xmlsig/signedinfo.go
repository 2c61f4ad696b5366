package xmlsig

import (
	"bytes"
	"crypto"
	"encoding/base64"
)

// URIs of the fixed parts of every signature claimgate makes.
const (
	nsDSig            = "http://www.w3.org/2000/09/xmldsig#"
	excC14NURI        = "http://www.w3.org/2001/10/xml-exc-c14n#"
	envelopedSigURI   = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
	dsNamespaceAttr   = ` xmlns:ds="` + nsDSig + `"`
	canonMethodElem   = `<ds:CanonicalizationMethod Algorithm="` + excC14NURI + `"></ds:CanonicalizationMethod>`
	transformsElem    = `<ds:Transforms><ds:Transform Algorithm="` + envelopedSigURI + `"></ds:Transform><ds:Transform Algorithm="` + excC14NURI + `"></ds:Transform></ds:Transforms>`
	signatureStartTag = `<ds:Signature` + dsNamespaceAttr + `>`
)

// algorithm is what one signature algorithm name fixes: the hash and the
// two URIs SignedInfo names.
type algorithm struct {
	hash                crypto.Hash
	sigMethod, digestAt string
}

// algorithmFor is the algorithm for a configuration name ("" is
// rsa-sha256), with the URIs goxmldsig wrote for the same hash.
func algorithmFor(alg string) (algorithm, bool) {
	h, ok := hashFor(alg)
	if !ok {
		return algorithm{}, false
	}
	if h == crypto.SHA1 {
		return algorithm{crypto.SHA1, SigRSASHA1, DigestSHA1URI}, true
	}
	return algorithm{crypto.SHA256, SigRSASHA256, DigestSHA256URI}, true
}

// writeSignedInfo writes ds:SignedInfo for a Reference to "#"+id (URI=""
// for an element without ID, as goxmldsig did) with the given digest.
// Its children have no attributes but Algorithm or URI, no namespace but
// ds, and no text but base64, so their exclusive canonical form is this
// fixed text; canonical is that form, the bytes that are signed, with
// the ds declaration exc-c14n renders on the apex. Without it, it is the
// element as it sits inside ds:Signature, which declares ds.
func writeSignedInfo(w *bytes.Buffer, canonical bool, a algorithm, id string, digest []byte) {
	w.WriteString(`<ds:SignedInfo`)
	if canonical {
		w.WriteString(dsNamespaceAttr)
	}
	w.WriteString(`>` + canonMethodElem + `<ds:SignatureMethod Algorithm="`)
	w.WriteString(a.sigMethod)
	w.WriteString(`"></ds:SignatureMethod><ds:Reference URI="`)
	if id != "" {
		w.WriteByte('#')
		escape(w, id, escAttr) // as every attribute value is
	}
	w.WriteString(`">` + transformsElem + `<ds:DigestMethod Algorithm="`)
	w.WriteString(a.digestAt)
	w.WriteString(`"></ds:DigestMethod><ds:DigestValue>`)
	writeBase64(w, digest)
	w.WriteString(`</ds:DigestValue></ds:Reference></ds:SignedInfo>`)
}

// writeSignature writes the ds:Signature element as it is inserted into
// the document: SignedInfo, SignatureValue, and KeyInfo with the one
// certificate.
func writeSignature(w *bytes.Buffer, a algorithm, id string, digest, sigValue []byte, certB64 string) {
	w.WriteString(signatureStartTag)
	writeSignedInfo(w, false, a, id, digest)
	w.WriteString(`<ds:SignatureValue>`)
	writeBase64(w, sigValue)
	w.WriteString(`</ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>`)
	w.WriteString(certB64)
	w.WriteString(`</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>`)
}

// writeBase64 encodes b straight into w's spare capacity (the
// AvailableBuffer idiom), with no intermediate string.
func writeBase64(w *bytes.Buffer, b []byte) {
	w.Grow(base64.StdEncoding.EncodedLen(len(b)))
	w.Write(base64.StdEncoding.AppendEncode(w.AvailableBuffer(), b))
}
