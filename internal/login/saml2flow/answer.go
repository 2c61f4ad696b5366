package saml2flow

import (
	"errors"
	"fmt"
	"net/http"

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
	case errors.Is(err, sts.ErrInvalidXMLText):
		return nil, login.Unsendable(err)
	case err != nil:
		return nil, err
	}
	return answer(resp), nil
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
	resp, err := a.o.IdP.ErrorResponse(saml2.NewStatusError(req, saml2.StatusResponder, sub, "sign-in refused: %s", why))
	if err != nil {
		return nil, fmt.Errorf("saml2: refusal: %w", err)
	}
	return answer(resp), nil
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
