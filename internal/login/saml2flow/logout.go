package saml2flow

import (
	"errors"
	"net/http"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/sts/saml2"
)

// serveSLO answers the single logout endpoint. A LogoutResponse (an SP
// answering the LogoutRequest we sent it from the "signing out" page) goes
// to serveLogoutResponse. A LogoutRequest (signed, unless the SP is
// InsecureUnsignedLogout) is SP-initiated logout:
//
//   - it must name what this browser's session was issued for that SP:
//     the NameID as issued and, when it names any, one of the
//     SessionIndexes (saml2.Issued.Matches). A request that does not is
//     answered Requester/UnknownPrincipal and the session is kept: core
//     §3.7.3.2 has the session authority answer with an error status when
//     it cannot terminate the principal's session, and UnknownPrincipal
//     (§3.2.2.2) is the status for a principal the responder does not
//     recognise. PartialLogout is not that: it is a second-level status
//     under Success, for a logout that ended our session but could not
//     reach every other party.
//   - a browser without a signed-in session is already signed out: Success.
//   - otherwise the session ends, the session's other parties are told in
//     hidden frames (login.Flow.SigningOut), and then the signed
//     LogoutResponse goes to the SP's HTTP-POST logout endpoint (or the
//     "signed out" page shows when it publishes none): Success, with
//     PartialLogout when a party could not be told.
//
// The session looked at is the browser's own (its cookie), never one found
// by the request's NameID: a signed request replayed in another browser
// ends nothing there.
func (a *Adapter) serveSLO(f *login.Flow, w http.ResponseWriter, r *http.Request) {
	opts, rc := a.parseOptions(r, a.o.SLOURL)
	var req *saml2.LogoutRequest
	var err error
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			f.FormError(w, r, "unparsable SAML logout form", err)
			return
		}
		if r.PostForm.Has("SAMLResponse") && !r.PostForm.Has("SAMLRequest") {
			a.serveLogoutResponse(w, r)
			return
		}
		if a.crossSiteRepost(f, w, r, a.o.SLOURL, "SAMLRequest") {
			return
		}
		req, err = saml2.ParseLogoutPOST(r.PostForm, a.o.SPs, opts)
	} else {
		if q := r.URL.Query(); q.Has("SAMLResponse") && !q.Has("SAMLRequest") {
			a.serveLogoutResponse(w, r)
			return
		}
		req, err = saml2.ParseLogoutRedirect(r.URL.RawQuery, a.o.SPs, opts)
	}
	if rc.err != nil {
		f.Fail(w, r, http.StatusServiceUnavailable, "error.unavailable", "saml2: used request IDs cannot be checked", rc.err)
		return
	}
	if err != nil {
		var se *saml2.StatusError
		if errors.As(err, &se) && se.Logout != nil {
			a.o.Logger.Warn("saml2: logout refused; answering with an error LogoutResponse", "err", se, "sp", se.Logout.SP.EntityID, "request_id", a.o.RequestID(r))
			a.logoutResponse(f, w, r, se.Logout, se)
			return
		}
		f.Fail(w, r, http.StatusBadRequest, "error.bad_request", "saml2: logout request refused", err)
		return
	}
	ended, res := f.SignOut(w, r, req.SP.EntityID, func(s *login.Session) bool { return a.matches(s, req) })
	switch res {
	case login.SignOutFailed:
		return
	case login.SignOutRefused:
		se := saml2.NewLogoutStatusError(req, saml2.StatusRequester, saml2.StatusUnknownPrincipal,
			"LogoutRequest %s names a NameID or SessionIndex this session did not issue to the SP", req.ID)
		a.o.Logger.Warn("saml2: logout names another subject or session; the session is kept", "err", se, "sp", req.SP.EntityID, "request_id", a.o.RequestID(r))
		if req.Reply == nil {
			f.Fail(w, r, http.StatusBadRequest, "error.bad_request", "saml2: logout request for another session refused", se)
			return
		}
		a.logoutResponse(f, w, r, req, se)
		return
	case login.SignOutNone:
		a.o.Logger.Info("saml2: logout without a signed-in session; answering Success", "sp", req.SP.EntityID, "request_id", a.o.RequestID(r))
		ended = nil
	}
	f.SigningOut(w, r, ended, a.initiator(req), func(untold int) (login.Continue, error) {
		if req.Reply == nil {
			return login.Continue{}, nil
		}
		var partial *saml2.StatusError
		if untold > 0 {
			partial = saml2.NewLogoutStatusError(req, saml2.StatusSuccess, saml2.StatusPartialLogout, "%d parties of the session could not be told", untold)
		}
		resp, err := a.o.IdP.LogoutResponse(req, partial)
		if err != nil {
			return login.Continue{}, err
		}
		return login.Continue{Answer: answer(resp)}, nil
	})
}

// initiator is the session party that sent req: it gets the answer, not a
// LogoutRequest of its own.
func (a *Adapter) initiator(req *saml2.LogoutRequest) *login.SessionParty {
	return &login.SessionParty{Protocol: Protocol, ID: req.SP.EntityID}
}

// matches reports whether req names what session s issued to req's SP.
func (a *Adapter) matches(s *login.Session, req *saml2.LogoutRequest) bool {
	p, ok := s.Party(Protocol, req.SP.EntityID)
	if !ok {
		return false
	}
	in, err := decodeIssued(p.Record)
	if err != nil {
		return false
	}
	return in.Matches(req)
}

func (a *Adapter) logoutResponse(f *login.Flow, w http.ResponseWriter, r *http.Request, req *saml2.LogoutRequest, se *saml2.StatusError) {
	resp, err := a.o.IdP.LogoutResponse(req, se)
	if err != nil {
		f.Fail(w, r, http.StatusInternalServerError, "error.internal", "saml2: LogoutResponse not made", err)
		return
	}
	f.AutoPost(w, r, answer(resp))
}
