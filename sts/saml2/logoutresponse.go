package saml2

import (
	"net/url"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/internal/xmltext"
	"github.com/claimgate/claimgate/sts/xmlsafe"
)

// LogoutResponse is a parsed, checked samlp:LogoutResponse an SP sent back
// for one of our LogoutRequests (IdP-propagated single logout). Its
// fields were read from the signed element when it was signed.
type LogoutResponse struct {
	ID           string
	Issuer       string
	InResponseTo string
	SP           *SP
	Binding      string
	Signed       bool
	// Status and SubStatus are the StatusCode values; Success means the
	// SP ended its session.
	Status, SubStatus string
}

// ParseLogoutResponseRedirect parses a LogoutResponse sent by
// HTTP-Redirect (SAMLResponse in the query); see ParseRedirect for
// rawQuery. Unless the SP is InsecureUnsignedLogout it must be signed.
func ParseLogoutResponseRedirect(rawQuery string, sps SPs, opts ParseOptions) (*LogoutResponse, error) {
	if err := opts.defaults(); err != nil {
		return nil, refuse(StatusResponder, "", "%v", err)
	}
	m, err := decodeRedirect(rawQuery, "SAMLResponse", opts.MaxBytes)
	if err != nil {
		return nil, err
	}
	return parseLogoutResponse(m, sps, &opts)
}

// ParseLogoutResponsePOST parses a LogoutResponse sent by HTTP-POST.
func ParseLogoutResponsePOST(form url.Values, sps SPs, opts ParseOptions) (*LogoutResponse, error) {
	if err := opts.defaults(); err != nil {
		return nil, refuse(StatusResponder, "", "%v", err)
	}
	m, err := decodePOST(form, "SAMLResponse", opts.MaxBytes)
	if err != nil {
		return nil, err
	}
	return parseLogoutResponse(m, sps, &opts)
}

// parseLogoutResponse reads m like a request (the xmlsafe gate, a known
// SP as Issuer, its signature, Version, Destination, IssueInstant, replay)
// and then the StatusResponseType parts. No refusal here is answered in
// SAML: a response is never answered, only logged.
func parseLogoutResponse(m *message, sps SPs, o *ParseOptions) (*LogoutResponse, error) {
	el, h, sp, signed, err := readMessage(m, "LogoutResponse", sps, func(sp *SP) bool { return !sp.InsecureUnsignedLogout }, o)
	if err != nil {
		return nil, err
	}
	if se := h.check(o, signed); se != nil {
		return nil, se
	}
	r := &LogoutResponse{ID: h.ID, Issuer: h.Issuer, SP: sp, Binding: m.binding, Signed: signed,
		InResponseTo: el.SelectAttrValue("InResponseTo", "")}
	// InResponseTo comes back from our LogoutRequest's ID, an NCName; an
	// answer to nothing of ours names none (core §3.2.2).
	if r.InResponseTo == "" || len(r.InResponseTo) > maxIDLen || !xmltext.IsNCName(r.InResponseTo) {
		return nil, refuse(StatusRequester, "", "InResponseTo is missing or not an NCName")
	}
	sts := xmlsafe.Children(el, NSProtocol, "Status")
	if len(sts) != 1 {
		return nil, refuse(StatusRequester, "", "%d samlp:Status elements, want one", len(sts))
	}
	top := statusCode(sts[0])
	if top == nil || top.SelectAttrValue("Value", "") == "" {
		return nil, refuse(StatusRequester, "", "samlp:Status without a StatusCode value")
	}
	r.Status = top.SelectAttrValue("Value", "")
	if sub := statusCode(top); sub != nil {
		r.SubStatus = sub.SelectAttrValue("Value", "")
	}
	if xmltext.CheckText("status", r.Status+r.SubStatus) != nil {
		return nil, refuse(StatusRequester, "", "status is not XML text")
	}
	return r, nil
}

// statusCode is the one samlp:StatusCode child of el, or nil.
func statusCode(el *etree.Element) *etree.Element {
	cs := xmlsafe.Children(el, NSProtocol, "StatusCode")
	if len(cs) != 1 {
		return nil
	}
	return cs[0]
}
