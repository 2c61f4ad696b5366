package saml2

import (
	"errors"
	"net/url"
	"time"

	"github.com/claimgate/claimgate/sts/internal/xmltext"
	"github.com/claimgate/claimgate/sts/xmlsafe"
)

// maxSessionIndexes bounds the SessionIndex elements read from one request.
const maxSessionIndexes = 32

// LogoutRequest is a parsed, checked samlp:LogoutRequest from an SP
// (SP-initiated single logout). Every field was read from the signed
// element when the request was signed.
type LogoutRequest struct {
	ID           string
	Issuer       string
	IssueInstant time.Time
	Destination  string
	SP           *SP
	Binding      string
	Signed       bool
	RelayState   string
	// NameID is the subject whose session ends, as the SP has it: the
	// caller compares it with the session's before ending anything.
	NameID       string
	NameIDFormat string
	// NameQualifier and SPNameQualifier are the NameID's qualifiers, ""
	// when absent: a persistent NameID we issued carries both.
	NameQualifier, SPNameQualifier string
	// SessionIndexes name our sessions (the AuthnStatement SessionIndex);
	// none means every session of NameID at this SP.
	SessionIndexes []string
	Reason         string
	// Reply is the SP's HTTP-POST single logout service the LogoutResponse
	// goes to; nil when it publishes none (end the session, show a page).
	Reply *Endpoint
}

// ParseLogoutRedirect parses a LogoutRequest sent by HTTP-Redirect; see
// ParseRedirect for rawQuery. Unless the SP is InsecureUnsignedLogout, the
// request must carry a valid signature.
func ParseLogoutRedirect(rawQuery string, sps SPs, opts ParseOptions) (*LogoutRequest, error) {
	if err := opts.defaults(); err != nil {
		return nil, refuse(StatusResponder, "", "%v", err)
	}
	m, err := decodeRedirect(rawQuery, "SAMLRequest", opts.MaxBytes)
	if err != nil {
		return nil, logoutWording(err)
	}
	r, err := parseLogoutRequest(m, sps, &opts)
	return r, logoutWording(err)
}

// ParseLogoutPOST parses a LogoutRequest sent by HTTP-POST.
func ParseLogoutPOST(form url.Values, sps SPs, opts ParseOptions) (*LogoutRequest, error) {
	if err := opts.defaults(); err != nil {
		return nil, refuse(StatusResponder, "", "%v", err)
	}
	m, err := decodePOST(form, "SAMLRequest", opts.MaxBytes)
	if err != nil {
		return nil, logoutWording(err)
	}
	r, err := parseLogoutRequest(m, sps, &opts)
	return r, logoutWording(err)
}

// logoutWording gives a refused LogoutRequest the sign-out wording: the
// shared checks (header, signature) build sign-in messages.
func logoutWording(err error) error {
	var se *StatusError
	if errors.As(err, &se) {
		se.Message = logoutMessage(se.Code, se.SubCode)
	}
	return err
}

func parseLogoutRequest(m *message, sps SPs, o *ParseOptions) (*LogoutRequest, error) {
	el, h, sp, signed, err := readMessage(m, "LogoutRequest", sps, func(sp *SP) bool { return !sp.InsecureUnsignedLogout }, o)
	if err != nil {
		return nil, err
	}
	r := &LogoutRequest{
		ID: h.ID, Issuer: h.Issuer, IssueInstant: h.IssueInstant, Destination: h.Destination,
		SP: sp, Binding: m.binding, Signed: signed, RelayState: m.relayState, Reason: el.SelectAttrValue("Reason", ""),
	}
	if e := sp.sloFor(BindingPOST); e != nil {
		reply := *e
		if reply.ResponseLocation != "" {
			reply.Location = reply.ResponseLocation
		}
		r.Reply = &reply
	}
	replyable := func(se *StatusError) error {
		if r.Reply != nil {
			se.Logout = r
		}
		return se
	}
	if se := h.check(o, signed); se != nil {
		return nil, replyable(se)
	}
	if v := el.SelectAttrValue("NotOnOrAfter", ""); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, replyable(refuse(StatusRequester, "", "NotOnOrAfter %q is not an xs:dateTime", xmltext.Clip(v)))
		}
		if !o.Now().Add(-o.Skew).Before(t) {
			return nil, replyable(refuse(StatusRequester, StatusRequestDenied, "LogoutRequest expired at %s", xmltext.FormatTime(t)))
		}
	}
	// EncryptedID needs our decryption key, which is why the metadata
	// publishes none (sts/metadata SAML2IdPRole.EncryptionCertificates).
	if xmlsafe.Child(el, NSAssertion, "EncryptedID") != nil || xmlsafe.Child(el, NSAssertion, "BaseID") != nil {
		return nil, replyable(refuse(StatusRequester, StatusRequestUnsupported, "only a plain NameID is supported"))
	}
	ids := xmlsafe.Children(el, NSAssertion, "NameID")
	if len(ids) != 1 || ids[0].Text() == "" {
		return nil, replyable(refuse(StatusRequester, StatusUnknownPrincipal, "%d NameID elements, want one", len(ids)))
	}
	r.NameID, r.NameIDFormat = ids[0].Text(), ids[0].SelectAttrValue("Format", NameIDUnspecified)
	r.NameQualifier, r.SPNameQualifier = ids[0].SelectAttrValue("NameQualifier", ""), ids[0].SelectAttrValue("SPNameQualifier", "")
	for _, s := range xmlsafe.Children(el, NSProtocol, "SessionIndex") {
		r.SessionIndexes = append(r.SessionIndexes, s.Text())
	}
	if len(r.SessionIndexes) > maxSessionIndexes {
		return nil, replyable(refuse(StatusRequester, "", "%d SessionIndex elements, limit %d", len(r.SessionIndexes), maxSessionIndexes))
	}
	return r, nil
}

// LogoutResponse answers a LogoutRequest at its Reply endpoint: a signed
// samlp:LogoutResponse with Status Success when se is nil, else se's
// status. The signature is required: the SP must be able to tell our
// answer from a forged one (saml-profiles-2.0-os §4.4.4.2).
func (p *IdP) LogoutResponse(req *LogoutRequest, se *StatusError) (*Response, error) {
	if req == nil || req.SP == nil || req.Reply == nil {
		return nil, errors.New("saml2: LogoutResponse needs a parsed LogoutRequest from an SP with an HTTP-POST logout endpoint")
	}
	id, err := p.newID()
	if err != nil {
		return nil, err
	}
	r := p.protocolMessage("samlp:LogoutResponse", id, p.cfg.Now(), req.Reply.Location, req.ID)
	if se == nil {
		addStatus(r, StatusSuccess, "", "")
	} else {
		addStatus(r, se.Code, se.SubCode, se.Message)
	}
	xml, err := p.finish(r, p.logoutReply, true, req.SP.SignatureAlgorithm)
	if err != nil {
		return nil, err
	}
	return &Response{Destination: req.Reply.Location, RelayState: req.RelayState, XML: xml, ID: id}, nil
}

// NewLogoutStatusError is NewStatusError for a LogoutRequest refused
// outside the parser (the login flow's decision that it names no subject
// or session of this browser: Requester/UnknownPrincipal), worded for
// signing out. req, when it has a Reply, is where the LogoutResponse goes.
func NewLogoutStatusError(req *LogoutRequest, code, subCode, format string, args ...any) *StatusError {
	se := NewStatusError(nil, code, subCode, format, args...)
	se.Message = logoutMessage(code, subCode)
	if req != nil && req.Reply != nil {
		se.Logout = req
	}
	return se
}
