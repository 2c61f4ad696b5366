package saml2flow

import (
	"errors"
	"net/http"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/sts/saml2"
)

// serveSLO answers SP-initiated single logout: a LogoutRequest (signed,
// unless the SP is InsecureUnsignedLogout) ends this browser's session and
// is answered with a signed LogoutResponse posted to the SP's HTTP-POST
// logout endpoint, or the "signed out" page when it publishes none.
//
// The session ended is the browser's own (its cookie), not one looked up
// by the request's NameID: the request is the SP's, proven by its
// signature, and the browser carrying it is the one signing out. Other
// SPs the session signed in to are not told (no IdP-initiated logout
// propagation).
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
		req, err = saml2.ParseLogoutPOST(r.PostForm, a.o.SPs, opts)
	} else {
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
	if !f.EndSession(w, r, req.SP.EntityID) {
		return
	}
	if req.Reply == nil {
		f.SignedOut(w, r)
		return
	}
	a.logoutResponse(f, w, r, req, nil)
}

func (a *Adapter) logoutResponse(f *login.Flow, w http.ResponseWriter, r *http.Request, req *saml2.LogoutRequest, se *saml2.StatusError) {
	resp, err := a.o.IdP.LogoutResponse(req, se)
	if err != nil {
		f.Fail(w, r, http.StatusInternalServerError, "error.internal", "saml2: LogoutResponse not made", err)
		return
	}
	f.AutoPost(w, r, answer(resp))
}
