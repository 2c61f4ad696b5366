package saml2flow

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/sts"
	"github.com/claimgate/claimgate/sts/saml2"
	"github.com/claimgate/claimgate/templates"
)

// Answer makes the Response for a finished sign-in: the request rebuilt
// against the SPs configured now (an SP or ACS gone since the request:
// login.ErrPartyGone), the NameID in the format the request resolved to,
// the flow's claims as attributes and multipleauthn as the
// AuthnContextClassRef after a second factor. A sign-in that cannot
// satisfy the request (a RequestedAuthnContext not met, a NameID the user
// lacks) is answered with the SAML error Response the SP expects, not an
// error page: the SP decides what its user sees.
func (a *Adapter) Answer(r *http.Request, u login.SignedIn, p *login.Pending) (*login.Answer, error) {
	req, err := a.request(p)
	if err != nil {
		return nil, err
	}
	resp, err := a.o.IdP.Respond(saml2.ResponseInput{
		Request: req,
		Subject: saml2.Subject{NameID: claims.NameID(u.Identity), Email: u.Identity.Email, StableID: u.Identity.SID},
		Claims:  u.Claims,
		Authn:   saml2.Authn{Instant: u.AuthnInstant, SecondFactor: u.SecondFactor},
	})
	var se *saml2.StatusError
	switch {
	case errors.As(err, &se) && se.Request != nil:
		a.o.Logger.Warn("saml2: sign-in cannot satisfy the request; answering with an error Response",
			"err", se, "sp", req.SP.EntityID, "request_id", a.o.RequestID(r))
		if resp, err = a.o.IdP.ErrorResponse(se); err != nil {
			return nil, err
		}
		ans := answer(resp)
		ans.Refused = statusReason(se)
		return ans, nil
	case errors.Is(err, sts.ErrInvalidXMLText):
		return nil, login.Unsendable(err)
	case err != nil:
		return nil, err
	}
	ans := answer(resp)
	if ans.Record, err = a.record(u.Session, resp, req.SP); err != nil {
		return nil, err
	}
	return ans, nil
}

// record is what the session keeps of resp for single logout: the NameID
// and SessionIndex issued, merged with what an earlier Response of this
// session gave the same SP.
func (a *Adapter) record(s *login.Session, resp *saml2.Response, sp *saml2.SP) ([]byte, error) {
	in := a.o.IdP.IssuedBy(resp, sp)
	if old, ok := s.Party(Protocol, sp.EntityID); ok {
		if prev, err := decodeIssued(old.Record); err == nil {
			in = in.Merge(prev)
		}
	}
	b, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("saml2: encode session record: %w", err)
	}
	return b, nil
}

func decodeIssued(b []byte) (saml2.Issued, error) {
	var in saml2.Issued
	if err := json.Unmarshal(b, &in); err != nil {
		return saml2.Issued{}, fmt.Errorf("saml2: decode session record: %w", err)
	}
	if in.NameID == "" {
		return saml2.Issued{}, errors.New("saml2: session record without NameID")
	}
	return in, nil
}

// statusReason names a refusal in the audit trail: the last segment of
// its most specific status ("NoAuthnContext", "RequestDenied").
func statusReason(se *saml2.StatusError) string {
	code := se.SubCode
	if code == "" {
		code = se.Code
	}
	return code[strings.LastIndexByte(code, ':')+1:]
}

// Refuse answers a request that cannot be signed in as asked with a SAML
// error Response: NoPassive for a passive request without a finished
// sign-in.
func (a *Adapter) Refuse(_ *http.Request, p *login.Pending, why login.Refusal) (*login.Answer, error) {
	req, err := a.request(p)
	if err != nil {
		return nil, err
	}
	sub := saml2.StatusNoPassive
	if why != login.RefusePassive {
		sub = saml2.StatusAuthnFailed
	}
	se := saml2.NewStatusError(req, saml2.StatusResponder, sub, "sign-in refused: %s", why)
	resp, err := a.o.IdP.ErrorResponse(se)
	if err != nil {
		return nil, fmt.Errorf("saml2: refusal: %w", err)
	}
	ans := answer(resp)
	ans.Refused = statusReason(se)
	return ans, nil
}

// answer is the HTTP-POST binding of resp: SAMLResponse and, when the
// request had one, RelayState, byte for byte.
func answer(resp *saml2.Response) *login.Answer {
	fields := []templates.Field{{Name: "SAMLResponse", Value: resp.Encoded()}}
	if resp.RelayState != "" {
		fields = append(fields, templates.Field{Name: "RelayState", Value: resp.RelayState})
	}
	return &login.Answer{URL: resp.Destination, Fields: fields}
}
