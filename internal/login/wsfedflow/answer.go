package wsfedflow

import (
	"errors"
	"net/http"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/sts"
	"github.com/claimgate/claimgate/sts/saml11"
	"github.com/claimgate/claimgate/sts/wsfed"
	"github.com/claimgate/claimgate/templates"
)

// Answer issues the token for a finished sign-in: the party looked up
// again by realm (removed since the request: login.ErrPartyGone), the
// authentication method by the wauth rule, then wa, wresult and wctx for
// the party's configured reply URL.
func (a *Adapter) Answer(r *http.Request, u login.SignedIn, p *login.Pending) (*login.Answer, error) {
	st, err := decodeState(p.State)
	if err != nil {
		return nil, err
	}
	party, ok := a.o.Parties.Party(st.Realm)
	if !ok {
		return nil, login.ErrPartyGone
	}
	wauth := p.RequestedAuthn.Original
	req := &wsfed.Request{Action: wsfed.ActionSignIn, Party: party, Realm: st.Realm, Reply: party.ReplyURL, Context: st.Context, RequestedAuth: wauth}
	method, satisfied := req.AuthenticationMethod(u.SecondFactor)
	if !satisfied {
		a.o.Logger.Warn("requested authentication method cannot be satisfied; sending what was done",
			"wauth", wauth, "sent", method, "request_id", a.o.RequestID(r))
	}
	resp, err := a.o.Issuer.IssueWSFed(req, saml11.Subject{NameID: claims.NameID(u.Identity)}, u.Claims, saml11.Authn{Method: method, Instant: u.AuthnInstant})
	if errors.Is(err, sts.ErrInvalidXMLText) {
		return nil, login.Unsendable(err)
	}
	if err != nil {
		return nil, err
	}
	return &login.Answer{URL: resp.ReplyURL, Fields: []templates.Field{
		{Name: "wa", Value: resp.Wa}, {Name: "wresult", Value: resp.WResult}, {Name: "wctx", Value: resp.WCtx},
	}}, nil
}

// errNoRefusal: WS-Federation has no passive request and no error answer,
// so Refuse is never asked for one; if it were, the user gets an error page.
var errNoRefusal = errors.New("wsfed: WS-Federation has no refusal answer")

// Refuse has no WS-Federation form; see errNoRefusal.
func (a *Adapter) Refuse(*http.Request, *login.Pending, login.Refusal) (*login.Answer, error) {
	return nil, errNoRefusal
}
