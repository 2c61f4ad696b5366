package explain

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/claimgate/claimgate/sts/xmlsafe"
)

// AuthnRequestInfo is what a SAML 2.0 Response is judged against, taken
// from the AuthnRequest it answers.
type AuthnRequestInfo struct {
	// ID is the request's ID: the Response's InResponseTo.
	ID string
	// Issuer is the service provider (AD FS's identifier): the audience.
	Issuer string
	// ACS is AssertionConsumerServiceURL, "" when the request names none
	// (AD FS's default): then the Response goes to the SP's default ACS.
	ACS string
}

// ReadAuthnRequest reads a captured SAMLRequest value: base64 of the
// DEFLATEd XML (HTTP-Redirect, the query of the URL AD FS sent the browser
// to) or of the XML itself (HTTP-POST). It checks nothing about the
// request's validity; claimgate's own parser (sts/saml2) does that when it
// serves it. maxBytes caps the inflated XML (0: the gate's default).
func ReadAuthnRequest(samlRequest string, maxBytes int64) (*AuthnRequestInfo, error) {
	raw, err := decodeBase64(strings.Join(strings.Fields(samlRequest), ""))
	if err != nil {
		return nil, fmt.Errorf("explain: SAMLRequest: %w", err)
	}
	if maxBytes <= 0 {
		maxBytes = xmlsafe.DefaultMaxBytes
	}
	doc := raw
	if len(bytes.TrimSpace(raw)) == 0 || bytes.TrimSpace(raw)[0] != '<' {
		// HTTP-Redirect: raw DEFLATE, capped so a bomb stops at the limit.
		inflated, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(raw)), maxBytes+1))
		if err != nil {
			return nil, fmt.Errorf("explain: SAMLRequest is neither XML nor DEFLATEd XML: %w", err)
		}
		if int64(len(inflated)) > maxBytes {
			return nil, fmt.Errorf("explain: SAMLRequest inflates to more than %d bytes", maxBytes)
		}
		doc = inflated
	}
	d, err := xmlsafe.Read(doc, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("explain: SAMLRequest: %w", err)
	}
	root := d.Root()
	if !xmlsafe.Is(root, nsSAML2P, "AuthnRequest") {
		return nil, fmt.Errorf("explain: SAMLRequest is {%s}%s, not a samlp:AuthnRequest", root.NamespaceURI(), root.Tag)
	}
	info := &AuthnRequestInfo{ID: root.SelectAttrValue("ID", ""), ACS: root.SelectAttrValue("AssertionConsumerServiceURL", "")}
	if iss := xmlsafe.Child(root, nsSAML2, "Issuer"); iss != nil {
		info.Issuer = strings.TrimSpace(iss.Text())
	}
	if info.ID == "" {
		return nil, errors.New("explain: the AuthnRequest has no ID")
	}
	return info, nil
}
