package login

import (
	"errors"
	"net/http"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts"
)

// maxQuery caps the whole query string or form body of a protocol request;
// sts caps each parameter again.
const maxQuery = 16 << 10

// WSFed answers the WS-Federation passive endpoint, GET or POST.
func (f *Flow) WSFed(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.RawQuery) > maxQuery {
		f.fail(w, r, http.StatusRequestURITooLong, "error.title", "error.too_large", "query too large", nil)
		return
	}
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxQuery)
	}
	if err := r.ParseForm(); err != nil {
		f.formError(w, r, "unparsable request", err)
		return
	}
	req, err := sts.ParseWSFed(r.Form, f.o.Parties)
	if err != nil {
		f.requestError(w, r, err)
		return
	}
	now := f.o.Now()
	s, err := f.sessions.load(r, now)
	if err != nil {
		f.storeFailed(w, r, err)
		return
	}
	switch req.Action {
	case sts.ActionSignOut, sts.ActionSignOutCleanup:
		f.signOut(w, r, s, req)
		return
	}
	// A finished sign-in answers at once (single sign-on) unless the
	// relying party asked for a fresh one.
	if s != nil && s.Stage == stageDone && !req.ForceLogin && s.Identity != nil &&
		(s.Second || !f.o.RequireSecondFactor) {
		if f.stillValid(w, r, s) {
			s.Pending = pendingFrom(req)
			f.issue(w, r, s)
		}
		return
	}
	// The new sign-in replaces whatever this browser had (a pending or
	// half-done sign-in, or the SSO session a forced login ends): the old
	// id is deleted, so it stops working, whatever version it is at.
	if s != nil {
		if err := f.sessions.store.DeleteSession(ctx(r), s.id); err != nil {
			f.storeFailed(w, r, err)
			return
		}
	}
	s, err = f.sessions.start(now)
	if err != nil {
		f.storeFailed(w, r, err)
		return
	}
	s.Pending = pendingFrom(req)
	if err := f.sessions.save(ctx(r), w, s); err != nil {
		f.storeFailed(w, r, err)
		return
	}
	http.Redirect(w, r, PathLogin, http.StatusSeeOther)
}

// stillValid asks the directory again before single sign-on hands out a
// token: an account disabled, locked or expired since the sign-in gets
// nothing more, and group changes reach the next token. It has answered
// (with an error page, or by starting a new sign-in) when it returns false.
func (f *Flow) stillValid(w http.ResponseWriter, r *http.Request, s *session) bool {
	id, err := f.o.Directory.Lookup(ctx(r), s.Identity.Username)
	if err != nil {
		if reason, ok := claims.IsRejected(err); ok {
			f.audit(r, Event{Name: "sign_out", User: s.Identity.Username, Reason: "account_" + string(reason)})
			_ = f.sessions.end(ctx(r), w, s)
			f.fail(w, r, http.StatusForbidden, "error.title", "error.session_expired", "single sign-on refused: account no longer usable", err)
			return false
		}
		f.unavailable(w, r, err)
		return false
	}
	s.Identity = &id
	return true
}

func pendingFrom(req *sts.Request) *pending {
	return &pending{Realm: req.Realm, Context: req.Context, LoginHint: req.LoginHint, RequestedAuth: req.RequestedAuth}
}

func (f *Flow) signOut(w http.ResponseWriter, r *http.Request, s *session, req *sts.Request) {
	if err := f.sessions.end(ctx(r), w, s); err != nil {
		f.o.Logger.Error("sign-out: session not deleted", "err", err, "request_id", f.o.RequestID(r))
	}
	user := ""
	if s != nil && s.Identity != nil {
		user = s.Identity.Username
	}
	f.audit(r, Event{Name: "sign_out", User: user, RelyingParty: req.Realm})
	if req.Action == sts.ActionSignOutCleanup {
		// AD FS loads this in a hidden iframe: 200 and a tiny body, no
		// redirect, and framing allowed (the server's header middleware
		// reads this marker).
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set(HeaderAllowFraming, "1")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("signed out\n"))
		return
	}
	if req.SignOutReply != "" {
		http.Redirect(w, r, req.SignOutReply, http.StatusSeeOther)
		return
	}
	f.page(w, r, http.StatusOK, pageSignedOut)
}

// HeaderAllowFraming is set by a handler whose response may be framed
// (sign-out cleanup); the server middleware removes it and relaxes
// frame-ancestors for that response only.
const HeaderAllowFraming = "X-Claimgate-Allow-Framing"

// HeaderTokenPage is set by the handler that renders the auto-POST (token)
// page; the server middleware removes it and leaves form-action out of that
// response's CSP only, because browsers check form-action on every
// redirect AD FS answers the token POST with.
const HeaderTokenPage = "X-Claimgate-Token-Page"

func (f *Flow) requestError(w http.ResponseWriter, r *http.Request, err error) {
	var re *sts.RequestError
	if !errors.As(err, &re) {
		f.fail(w, r, http.StatusBadRequest, "error.title", "error.bad_request", "bad protocol request", err)
		return
	}
	key := "error.bad_request"
	switch re.Code {
	case sts.CodeUnknownRealm:
		key = "error.unknown_realm"
	case sts.CodeForeignReply:
		key = "error.bad_reply"
	case sts.CodeTooLarge:
		key = "error.too_large"
	}
	f.fail(w, r, http.StatusBadRequest, "error.title", key, "protocol request refused: "+re.Code, err)
}
