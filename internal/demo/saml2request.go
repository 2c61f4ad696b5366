package demo

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/url"
	"time"

	"github.com/beevik/etree"
)

// SAML 2.0 names the demo's service provider uses. They are written out
// here rather than taken from sts/saml2, so that the demo stays a second,
// independent reading of the specification.
const (
	nsProtocol      = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsAssertion     = "urn:oasis:names:tc:SAML:2.0:assertion"
	bindingPOST     = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
	statusSuccess   = "urn:oasis:names:tc:SAML:2.0:status:Success"
	methodBearer    = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
	sigAlgRSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	timeLayout      = "2006-01-02T15:04:05Z"
)

// authnRequest is the SP's samlp:AuthnRequest (core §3.4.1): unsigned,
// as AD FS sends its own by default, naming the ACS it wants the Response
// at and no NameID format, so claimgate applies the one configured for
// this SP.
func authnRequest(id string, now time.Time, s *SAML2) ([]byte, error) {
	r := protocolRequest("samlp:AuthnRequest", id, now, s.IdPSSOURL, s.EntityID)
	r.CreateAttr("AssertionConsumerServiceURL", s.ACSURL)
	r.CreateAttr("ProtocolBinding", bindingPOST)
	r.CreateElement("samlp:NameIDPolicy").CreateAttr("AllowCreate", "true")
	return serialise(r)
}

// protocolRequest is the RequestAbstractType part every request has.
func protocolRequest(tag, id string, now time.Time, destination, issuer string) *etree.Element {
	r := etree.NewElement(tag)
	r.CreateAttr("xmlns:samlp", nsProtocol)
	r.CreateAttr("xmlns:saml", nsAssertion)
	r.CreateAttr("ID", id)
	r.CreateAttr("Version", "2.0")
	r.CreateAttr("IssueInstant", now.UTC().Format(timeLayout))
	r.CreateAttr("Destination", destination)
	r.CreateElement("saml:Issuer").SetText(issuer)
	return r
}

func serialise(el *etree.Element) ([]byte, error) {
	d := etree.NewDocument()
	d.SetRoot(el)
	return d.WriteToBytes()
}

// redirectQuery encodes msg for the HTTP-Redirect binding (bindings
// §3.4.4): raw DEFLATE, base64, URL-encoding, then RelayState. With key
// the query is signed as §3.4.4.1 says: RSA-SHA256 over the octets
// "param=…&RelayState=…&SigAlg=…" exactly as they appear in the URL.
func redirectQuery(param string, msg []byte, relay string, key crypto.Signer, rand io.Reader) (string, error) {
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		return "", err
	}
	if _, err := fw.Write(msg); err != nil {
		return "", err
	}
	if err := fw.Close(); err != nil {
		return "", err
	}
	q := param + "=" + url.QueryEscape(base64.StdEncoding.EncodeToString(buf.Bytes()))
	if relay != "" {
		q += "&RelayState=" + url.QueryEscape(relay)
	}
	if key == nil {
		return q, nil
	}
	q += "&SigAlg=" + url.QueryEscape(sigAlgRSASHA256)
	digest := sha256.Sum256([]byte(q))
	sig, err := key.Sign(rand, digest[:], crypto.SHA256)
	if err != nil {
		return "", err
	}
	return q + "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig)), nil
}
