package saml2

import (
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts/internal/xmltext"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// Authn is how and when the user authenticated.
type Authn struct {
	// Instant is when authentication finished; zero means now.
	Instant time.Time
	// SecondFactor is true when the user proved a second factor.
	SecondFactor bool
	// SessionIndex names our login session for SAML logout. The
	// assertion does not carry it as is: each SP gets its own value,
	// IdP.SessionIndex(SessionIndex, SP), and IdP.LogoutMatches maps a
	// LogoutRequest back. It needs IdPConfig.SessionIndexKey; "" means a
	// fresh random ID (no logout by session).
	SessionIndex string
}

// ResponseInput is one successful sign-in to answer.
type ResponseInput struct {
	Request *AuthnRequest
	Subject Subject
	Claims  []claims.Claim
	Authn   Authn
}

// Response is a SAML message ready for the HTTP-POST binding: the browser
// posts SAMLResponse (Encoded) and RelayState to Destination.
type Response struct {
	Destination string
	RelayState  string
	XML         []byte
	ID          string
	// Set for a successful Response only. SessionIndex is the one in the
	// assertion: the SP's own (IdP.SessionIndex), not Authn.SessionIndex.
	AssertionID  string
	SessionIndex string
	NameID       string
	NameIDFormat string
	NotOnOrAfter time.Time
}

// Encoded is the SAMLResponse form value: the XML in base64.
func (r *Response) Encoded() string { return base64.StdEncoding.EncodeToString(r.XML) }

// Respond makes the Response for a sign-in: samlp:Response (Destination =
// the ACS, InResponseTo, Status Success) around a signed saml:Assertion,
// encrypted to the SP when it asks, and the Response itself signed when
// the SP asks. It does no I/O; the clock, IDs and key were injected.
//
// A sign-in that cannot satisfy the request (a NameID the subject lacks,
// a RequestedAuthnContext not met) is a *StatusError with Request set: the
// caller answers it with ErrorResponse.
func (p *IdP) Respond(in ResponseInput) (*Response, error) {
	req := in.Request
	if req == nil || req.SP == nil || req.ACS.Location == "" || req.ID == "" {
		return nil, errors.New("saml2: Respond needs a parsed AuthnRequest")
	}
	classRef, ok := AuthnContextFor(req.RequestedAuthnContext, in.Authn.SecondFactor)
	if !ok {
		return nil, NewStatusError(req, StatusResponder, StatusNoAuthnContext, "requested %v not met (second factor: %v)", req.RequestedAuthnContext.ClassRefs, in.Authn.SecondFactor)
	}
	n, se := p.makeNameID(req, in.Subject)
	if se != nil {
		return nil, se
	}
	ids, err := p.ids(3)
	if err != nil {
		return nil, err
	}
	now := p.cfg.Now()
	authnAt := in.Authn.Instant
	if authnAt.IsZero() {
		authnAt = now
	}
	// AuthnInstant is the same at every SP the session signs in to: it
	// is when the user really authenticated, which SPs may hold against
	// their own maximum age. SessionIndex is per SP (IdP.SessionIndex).
	session := ids[2]
	if in.Authn.SessionIndex != "" {
		if session, err = p.SessionIndex(in.Authn.SessionIndex, req.SP.EntityID); err != nil {
			return nil, err
		}
	}
	a := assertionInput{
		ID: ids[1], Issuer: p.cfg.EntityID, Audience: req.SP.EntityID, IssueInstant: now,
		NotBefore: now.Add(-p.cfg.NotBeforeSkew), NotOnOrAfter: now.Add(p.cfg.Lifetime),
		NameID: n, InResponseTo: req.ID, Recipient: req.ACS.Location, ConfirmUntil: now.Add(p.cfg.ConfirmationWindow),
		AuthnInstant: authnAt, SessionIndex: session, ClassRef: classRef, Claims: in.Claims,
	}
	ael, err := buildAssertion(a)
	if err != nil {
		return nil, err
	}
	signed, err := p.assertion.Sign(ael, req.SP.SignatureAlgorithm)
	if err != nil {
		return nil, err
	}
	child, err := p.assertionChild(signed, req.SP)
	if err != nil {
		return nil, err
	}
	r := p.protocolMessage("samlp:Response", ids[0], now, req.ACS.Location, req.ID)
	addStatus(r, StatusSuccess, "", "")
	r.AddChild(child)
	xml, err := p.finish(r, p.response, req.SP.SignResponse, req.SP.SignatureAlgorithm)
	if err != nil {
		return nil, err
	}
	return &Response{
		Destination: req.ACS.Location, RelayState: req.RelayState, XML: xml, ID: ids[0],
		AssertionID: ids[1], SessionIndex: session, NameID: n.Value, NameIDFormat: n.Format, NotOnOrAfter: a.NotOnOrAfter,
	}, nil
}

// ErrorResponse answers a refused request with a signed samlp:Response
// carrying se's status and no assertion. se.Request must be set (the ACS
// is known); the StatusMessage is se's fixed Message, never its Detail.
func (p *IdP) ErrorResponse(se *StatusError) (*Response, error) {
	if se == nil || se.Request == nil || se.Request.SP == nil || se.Request.ACS.Location == "" {
		return nil, errors.New("saml2: ErrorResponse needs a status error with a known ACS")
	}
	if se.Code == StatusSuccess || se.Code == "" {
		return nil, errors.New("saml2: ErrorResponse needs a failure status")
	}
	req := se.Request
	id, err := p.newID()
	if err != nil {
		return nil, err
	}
	r := p.protocolMessage("samlp:Response", id, p.cfg.Now(), req.ACS.Location, req.ID)
	addStatus(r, se.Code, se.SubCode, se.Message)
	xml, err := p.finish(r, p.response, true, req.SP.SignatureAlgorithm)
	if err != nil {
		return nil, err
	}
	return &Response{Destination: req.ACS.Location, RelayState: req.RelayState, XML: xml, ID: id}, nil
}

// ids returns n fresh IDs.
func (p *IdP) ids(n int) ([]string, error) {
	out := make([]string, n)
	for i := range out {
		id, err := p.newID()
		if err != nil {
			return nil, err
		}
		out[i] = id
	}
	return out, nil
}

// assertionChild turns the signed assertion bytes back into the element
// the Response carries: the assertion itself, or an EncryptedAssertion.
// Reading them back is lossless (xmltext.Serialize writes canonical text),
// so the signature still covers what the SP will read.
func (p *IdP) assertionChild(signed []byte, sp *SP) (*etree.Element, error) {
	if sp.EncryptAssertions {
		return p.encryptAssertion(signed, sp)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(signed); err != nil {
		return nil, fmt.Errorf("saml2: reading back the signed assertion: %w", err)
	}
	return doc.Root(), nil
}

// protocolMessage starts a StatusResponseType message: ID, Version,
// IssueInstant, Destination, InResponseTo, Issuer.
func (p *IdP) protocolMessage(tag, id string, now time.Time, destination, inResponseTo string) *etree.Element {
	r := etree.NewElement(tag)
	r.CreateAttr("xmlns:samlp", NSProtocol)
	r.CreateAttr("xmlns:saml", NSAssertion)
	r.CreateAttr("ID", id)
	r.CreateAttr("Version", version)
	r.CreateAttr("IssueInstant", xmltext.FormatTime(now))
	r.CreateAttr("Destination", destination)
	if inResponseTo != "" {
		r.CreateAttr("InResponseTo", inResponseTo)
	}
	r.CreateElement("saml:Issuer").SetText(p.cfg.EntityID)
	return r
}

// addStatus adds samlp:Status: the top-level code, the second-level one
// nested in it, and a StatusMessage.
func addStatus(r *etree.Element, code, subCode, message string) {
	st := r.CreateElement("samlp:Status")
	sc := st.CreateElement("samlp:StatusCode")
	sc.CreateAttr("Value", code)
	if subCode != "" {
		sc.CreateElement("samlp:StatusCode").CreateAttr("Value", subCode)
	}
	if message != "" {
		st.CreateElement("samlp:StatusMessage").SetText(message)
	}
}

// finish checks every value for XML 1.0 and serializes the message once,
// signed by s when sign is set.
func (p *IdP) finish(r *etree.Element, s *xmlsig.Signer, sign bool, alg string) ([]byte, error) {
	if err := checkTree(r); err != nil {
		return nil, err
	}
	if sign {
		return s.Sign(r, alg)
	}
	return xmltext.Serialize(r)
}

// checkTree refuses any attribute or text XML 1.0 cannot carry: values
// from the request (InResponseTo, RelayState is not in the XML) reach the
// message, and etree would replace bad characters after signing.
func checkTree(el *etree.Element) error {
	for _, a := range el.Attr {
		if err := xmltext.CheckText("saml2: attribute "+a.FullKey(), a.Value); err != nil {
			return err
		}
	}
	if err := xmltext.CheckText("saml2: text of "+el.FullTag(), el.Text()); err != nil {
		return err
	}
	for _, c := range el.ChildElements() {
		if err := checkTree(c); err != nil {
			return err
		}
	}
	return nil
}
