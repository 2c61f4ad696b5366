package saml2

import (
	"errors"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/internal/xmltext"
)

// DefaultLogoutWindow is a LogoutRequest's NotOnOrAfter - now: the
// browser carries it to the SP at once, so a few minutes cover clock drift
// without leaving a captured request usable for long.
const DefaultLogoutWindow = 5 * time.Minute

// ReasonUser is the logout Reason for a user who asked to sign out
// (core §3.7.3): what IdP-propagated logout says to the other SPs.
const ReasonUser = "urn:oasis:names:tc:SAML:2.0:logout:user"

// LogoutRequestInput is one SP to tell that the session ended.
type LogoutRequestInput struct {
	SP *SP
	// Issued is what the session's sign-in gave the SP: the NameID is
	// named exactly so, with every SessionIndex it received.
	Issued Issued
	// Reason defaults to ReasonUser.
	Reason string
}

// LogoutRequest makes the front-channel logout message for one SP of an
// ended session (core §3.7.3.2, the session authority's rules): a signed
// samlp:LogoutRequest with Destination = the SP's HTTP-POST single logout
// service, NotOnOrAfter = now + DefaultLogoutWindow, the NameID as issued
// and its SessionIndexes. The browser posts it (Encoded) as SAMLRequest to
// Destination. It is always signed: the SP must not let anyone else end
// its user's session (saml-profiles-2.0-os §4.4.4.1). An SP without an
// HTTP-POST logout endpoint cannot be told; that is an error the caller
// checks beforehand with CanLogout.
func (p *IdP) LogoutRequest(in LogoutRequestInput) (*Response, error) {
	if in.SP == nil || in.Issued.NameID == "" {
		return nil, errors.New("saml2: LogoutRequest needs an SP and the NameID it was issued")
	}
	slo := in.SP.sloFor(BindingPOST)
	if slo == nil {
		return nil, errors.New("saml2: LogoutRequest: the SP has no HTTP-POST single logout service")
	}
	id, err := p.newID()
	if err != nil {
		return nil, err
	}
	now := p.cfg.Now()
	reason := in.Reason
	if reason == "" {
		reason = ReasonUser
	}
	r := etree.NewElement("samlp:LogoutRequest")
	r.CreateAttr("xmlns:samlp", NSProtocol)
	r.CreateAttr("xmlns:saml", NSAssertion)
	r.CreateAttr("ID", id)
	r.CreateAttr("Version", version)
	r.CreateAttr("IssueInstant", xmltext.FormatTime(now))
	r.CreateAttr("Destination", slo.Location)
	r.CreateAttr("NotOnOrAfter", xmltext.FormatTime(now.Add(DefaultLogoutWindow)))
	r.CreateAttr("Reason", reason)
	r.CreateElement("saml:Issuer").SetText(p.cfg.EntityID)
	n := r.CreateElement("saml:NameID")
	n.CreateAttr("Format", in.Issued.NameIDFormat)
	if in.Issued.NameQualifier != "" {
		n.CreateAttr("NameQualifier", in.Issued.NameQualifier)
	}
	if in.Issued.SPNameQualifier != "" {
		n.CreateAttr("SPNameQualifier", in.Issued.SPNameQualifier)
	}
	n.SetText(in.Issued.NameID)
	for _, s := range in.Issued.SessionIndexes {
		r.CreateElement("samlp:SessionIndex").SetText(s)
	}
	// Signed by the IdP's signer for requests, built once in NewIdP like
	// the others (a signer per message checked the key pair and encoded
	// the certificate again each time).
	xml, err := p.finish(r, p.logoutRequest, true, in.SP.SignatureAlgorithm)
	if err != nil {
		return nil, err
	}
	return &Response{Destination: slo.Location, XML: xml, ID: id}, nil
}

// CanLogout reports whether sp can be sent a LogoutRequest: it publishes
// an HTTP-POST single logout service.
func (sp *SP) CanLogout() bool { return sp.sloFor(BindingPOST) != nil }
