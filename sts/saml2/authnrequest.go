package saml2

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/internal/xmltext"
	"github.com/claimgate/claimgate/sts/xmlsafe"
)

// AuthnRequest is a parsed, checked samlp:AuthnRequest. Every field was
// read from the signed element when the request was signed.
type AuthnRequest struct {
	ID           string
	Issuer       string
	IssueInstant time.Time
	Destination  string
	// SP is the service provider named by Issuer.
	SP *SP
	// Binding is the binding the request arrived by.
	Binding string
	// Signed is true when a signature by one of the SP's certificates
	// covered the request.
	Signed bool
	// ACS is where the Response goes: always one of SP.ACS, chosen by
	// AssertionConsumerServiceURL, else AssertionConsumerServiceIndex,
	// else the SP's default.
	ACS Endpoint
	// RelayState is echoed byte for byte with the Response.
	RelayState string
	// NameIDFormat is the format to issue (resolved against the SP's
	// setting; never empty).
	NameIDFormat string
	// AllowCreate is NameIDPolicy's AllowCreate.
	AllowCreate bool
	// RequestedAuthnContext is nil when the request asks for none.
	RequestedAuthnContext *RequestedAuthnContext
	ForceAuthn            bool
	IsPassive             bool
}

// ParseRedirect parses an AuthnRequest sent by HTTP-Redirect. rawQuery is
// the query string exactly as received (r.URL.RawQuery): the detached
// signature covers its octets, which url.Values cannot give back.
func ParseRedirect(rawQuery string, sps SPs, opts ParseOptions) (*AuthnRequest, error) {
	if err := opts.defaults(); err != nil {
		return nil, refuse(StatusResponder, "", "%v", err)
	}
	m, err := decodeRedirect(rawQuery, "SAMLRequest", opts.MaxBytes)
	if err != nil {
		return nil, err
	}
	return parseAuthnRequest(m, sps, &opts)
}

// ParsePOST parses an AuthnRequest sent by HTTP-POST: the form's
// SAMLRequest (base64) and RelayState. An enveloped signature is verified
// with xmlsig.
func ParsePOST(form url.Values, sps SPs, opts ParseOptions) (*AuthnRequest, error) {
	if err := opts.defaults(); err != nil {
		return nil, refuse(StatusResponder, "", "%v", err)
	}
	m, err := decodePOST(form, "SAMLRequest", opts.MaxBytes)
	if err != nil {
		return nil, err
	}
	return parseAuthnRequest(m, sps, &opts)
}

func parseAuthnRequest(m *message, sps SPs, o *ParseOptions) (*AuthnRequest, error) {
	required := func(sp *SP) bool { return sp.AuthnRequestsSigned || o.RequireSignedRequests }
	el, h, sp, signed, err := readMessage(m, "AuthnRequest", sps, required, o)
	if err != nil {
		return nil, err
	}
	r := &AuthnRequest{
		ID: h.ID, Issuer: h.Issuer, IssueInstant: h.IssueInstant, Destination: h.Destination,
		SP: sp, Binding: m.binding, Signed: signed, RelayState: m.relayState,
	}
	acs, err := chooseACS(el, sp)
	if err != nil {
		return nil, err
	}
	r.ACS = *acs
	// From here the SP is known and the answer's address is its own, so
	// every refusal can be a SAML error Response.
	replyable := func(se *StatusError) error {
		se.Request = r
		return se
	}
	if se := h.check(o, signed); se != nil {
		return nil, replyable(se)
	}
	if b := el.SelectAttrValue("ProtocolBinding", ""); b != "" && b != BindingPOST {
		return nil, replyable(refuse(StatusRequester, StatusUnsupportedBinding, "ProtocolBinding %q; only HTTP-POST is supported", xmltext.Clip(b)))
	}
	var se *StatusError
	if r.ForceAuthn, se = boolAttr(el, "ForceAuthn"); se != nil {
		return nil, replyable(se)
	}
	if r.IsPassive, se = boolAttr(el, "IsPassive"); se != nil {
		return nil, replyable(se)
	}
	if xmlsafe.Child(el, NSAssertion, "Subject") != nil {
		return nil, replyable(refuse(StatusRequester, StatusRequestUnsupported, "requests naming a Subject are not supported"))
	}
	if se := readNameIDPolicy(el, r, o); se != nil {
		return nil, replyable(se)
	}
	if r.RequestedAuthnContext, se = readRequestedAuthnContext(el); se != nil {
		return nil, replyable(se)
	}
	return r, nil
}

// chooseACS picks the assertion consumer service (saml-profiles-2.0-os
// §4.1.4.1): a URL the request names must be one of the SP's registered
// HTTP-POST endpoints, an index must name a registered endpoint, and
// without either the SP's default is used. Nothing the request says is
// ever used as an address unless it is registered.
func chooseACS(el *etree.Element, sp *SP) (*Endpoint, error) {
	u := el.SelectAttrValue("AssertionConsumerServiceURL", "")
	idx := el.SelectAttrValue("AssertionConsumerServiceIndex", "")
	switch {
	case u != "" && idx != "":
		return nil, refuse(StatusRequester, "", "AssertionConsumerServiceURL and AssertionConsumerServiceIndex are mutually exclusive")
	case u != "":
		for i := range sp.ACS {
			if sp.ACS[i].Location == u && sp.ACS[i].Binding == BindingPOST {
				return &sp.ACS[i], nil
			}
		}
		return nil, refuse(StatusRequester, StatusRequestDenied, "AssertionConsumerServiceURL %q is not a registered HTTP-POST endpoint of %q", xmltext.Clip(u), xmltext.Clip(sp.EntityID))
	case idx != "":
		n, err := strconv.ParseUint(idx, 10, 16)
		if err != nil {
			return nil, refuse(StatusRequester, "", "AssertionConsumerServiceIndex %q is not an unsigned short", xmltext.Clip(idx))
		}
		for i := range sp.ACS {
			if sp.ACS[i].Index != int(n) {
				continue
			}
			if sp.ACS[i].Binding != BindingPOST {
				return nil, refuse(StatusRequester, StatusUnsupportedBinding, "ACS index %d has binding %q; only HTTP-POST is supported", n, sp.ACS[i].Binding)
			}
			return &sp.ACS[i], nil
		}
		return nil, refuse(StatusRequester, StatusRequestDenied, "no ACS with index %d at %q", n, xmltext.Clip(sp.EntityID))
	}
	if d := sp.DefaultACS(); d != nil {
		return d, nil
	}
	return nil, refuse(StatusResponder, "", "SP %q has no HTTP-POST assertion consumer service", xmltext.Clip(sp.EntityID))
}

// readNameIDPolicy resolves the format to issue. The SP's configuration
// decides, not the request (unsigned, the user can edit it): no format or
// unspecified gets the SP's NameIDFormat (unspecified when unset); a
// specific format is issued only when it is that one or one of the SP's
// NameIDFormats, and we offer it. Anything else is InvalidNameIDPolicy.
func readNameIDPolicy(el *etree.Element, r *AuthnRequest, o *ParseOptions) *StatusError {
	format := ""
	if p := xmlsafe.Child(el, NSProtocol, "NameIDPolicy"); p != nil {
		format = p.SelectAttrValue("Format", "")
		allow, se := boolAttr(p, "AllowCreate")
		if se != nil {
			return se
		}
		r.AllowCreate = allow
		if q := p.SelectAttrValue("SPNameQualifier", ""); q != "" && q != r.SP.EntityID {
			return refuse(StatusRequester, StatusInvalidNameIDPolicy, "SPNameQualifier %q: affiliations are not supported", xmltext.Clip(q))
		}
	}
	pinned := r.SP.NameIDFormat
	if pinned == "" {
		pinned = NameIDUnspecified
	}
	switch {
	case format == "" || format == NameIDUnspecified:
		format = pinned
	case format != pinned && !slices.Contains(r.SP.NameIDFormats, format):
		return refuse(StatusRequester, StatusInvalidNameIDPolicy, "NameID format %q requested; this SP is configured for %q", xmltext.Clip(format), pinned)
	}
	if !slices.Contains(o.NameIDFormats, format) {
		return refuse(StatusRequester, StatusInvalidNameIDPolicy, "NameID format %q is not supported", xmltext.Clip(format))
	}
	r.NameIDFormat = format
	return nil
}

// boolAttr reads an optional xs:boolean attribute.
func boolAttr(el *etree.Element, name string) (bool, *StatusError) {
	switch v := strings.TrimSpace(el.SelectAttrValue(name, "false")); v {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	default:
		return false, refuse(StatusRequester, "", "%s=%q is not an xs:boolean", name, xmltext.Clip(v))
	}
}
