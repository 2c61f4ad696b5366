package saml2flow

import (
	"errors"
	"net/http"
	"strings"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/sts/saml2"
)

// maxForm caps an HTTP-POST body: a base64 message at saml2's decoded cap
// (64 KiB) with RelayState fits well inside. The HTTP-Redirect query is
// bounded by the server's header limit and again by saml2.
const maxForm = 192 << 10

// serveSSO answers the single sign-on endpoint: an AuthnRequest by
// HTTP-Redirect (GET, the raw query, whose octets a detached signature
// covers) or HTTP-POST goes to the state machine as a Pending.
func (a *Adapter) serveSSO(f *login.Flow, w http.ResponseWriter, r *http.Request) {
	opts, rc := a.parseOptions(r, a.o.SSOURL)
	var req *saml2.AuthnRequest
	var err error
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			f.FormError(w, r, "unparsable SAML request form", err)
			return
		}
		if a.crossSiteRepost(f, w, r, a.o.SSOURL, "SAMLRequest") {
			return
		}
		// Only the body: a query cannot add or replace a field.
		req, err = saml2.ParsePOST(r.PostForm, a.o.SPs, opts)
	} else {
		req, err = saml2.ParseRedirect(r.URL.RawQuery, a.o.SPs, opts)
	}
	if rc.err != nil {
		f.Fail(w, r, http.StatusServiceUnavailable, "error.unavailable", "saml2: used request IDs cannot be checked", rc.err)
		return
	}
	if err != nil {
		a.refused(f, w, r, err)
		return
	}
	p, err := pendingFrom(req)
	if err != nil {
		f.Fail(w, r, http.StatusInternalServerError, "error.internal", "internal error", err)
		return
	}
	f.Begin(w, r, p)
}

// pendingFrom is the neutral form of an AuthnRequest.
func pendingFrom(req *saml2.AuthnRequest) (*login.Pending, error) {
	st, err := encodeState(stateOf(req))
	if err != nil {
		return nil, err
	}
	ra := login.RequestedAuthn{MultiFactor: req.NeedsSecondFactor()}
	if rac := req.RequestedAuthnContext; rac != nil {
		ra.Original = strings.Join(rac.ClassRefs, " ")
	}
	return &login.Pending{
		Protocol:       Protocol,
		Party:          login.Party{ID: req.SP.EntityID},
		RequestedAuthn: ra,
		ForceAuthn:     req.ForceAuthn,
		Passive:        req.IsPassive,
		State:          st,
	}, nil
}

// refused answers a request the parser refused: a SAML error Response to
// the SP's registered ACS when the SP is known and the ACS was chosen
// from its registration, otherwise a 400 page (nothing about the sender
// is proven, so nothing goes to it). Users see fixed messages; the detail
// goes to the log.
func (a *Adapter) refused(f *login.Flow, w http.ResponseWriter, r *http.Request, err error) {
	var se *saml2.StatusError
	if !errors.As(err, &se) {
		f.Fail(w, r, http.StatusBadRequest, "error.bad_request", "saml2: request refused", err)
		return
	}
	if se.Request != nil {
		a.errorResponse(f, w, r, se)
		return
	}
	f.Fail(w, r, http.StatusBadRequest, "error.bad_request", "saml2: request refused", err)
}

// errorResponse posts a SAML error Response for se to its request's ACS.
func (a *Adapter) errorResponse(f *login.Flow, w http.ResponseWriter, r *http.Request, se *saml2.StatusError) {
	a.o.Logger.Warn("saml2: answering with an error Response", "err", se, "sp", se.Request.SP.EntityID, "request_id", a.o.RequestID(r))
	resp, err := a.o.IdP.ErrorResponse(se)
	if err != nil {
		f.Fail(w, r, http.StatusInternalServerError, "error.internal", "saml2: error Response not made", err)
		return
	}
	ans := answer(resp)
	ans.Refused = statusReason(se)
	f.PostRefusal(w, r, se.Request.SP.EntityID, ans)
}
