package login

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts"
	"github.com/claimgate/claimgate/templates"
)

// finish marks the sign-in done (a new session id) and issues the token.
// Every way of finishing clears the failure count and lets the throttle
// remember this address as one the user signs in from.
func (f *Flow) finish(w http.ResponseWriter, r *http.Request, s *session, second bool) {
	s.Stage = stageDone
	s.Method = ""
	s.Second = second
	if !second {
		s.SecondAt = s.FirstAt
	}
	if err := f.sessions.save(ctx(r), w, s); err != nil {
		f.storeFailed(w, r, err)
		return
	}
	// Only a sign-in that really finished makes the address familiar: for
	// the account's own name and for the form the user typed (a UPN whose
	// prefix is not the sAMAccountName counts under its own key).
	now := f.o.Now()
	f.succeeded(r, f.attempt(r, s.Identity.Username, now))
	if s.TypedKey != "" && s.TypedKey != ThrottleKey(s.Identity.Username) {
		f.succeeded(r, f.attempt(r, s.TypedKey, now))
	}
	f.issue(w, r, s)
}

// issue builds the token for the session's pending request and renders the
// auto-POST page. A relying party removed from the configuration since the
// request arrived gets nothing.
func (f *Flow) issue(w http.ResponseWriter, r *http.Request, s *session) {
	p := s.Pending
	party, ok := f.o.Parties.Party(p.Realm)
	if !ok {
		f.fail(w, r, http.StatusBadRequest, "error.title", "error.unknown_realm", "relying party vanished during sign-in", nil)
		return
	}
	second := s.Second
	req := &sts.Request{Action: sts.ActionSignIn, Party: party, Realm: p.Realm, Reply: party.ReplyURL, Context: p.Context, RequestedAuth: p.RequestedAuth}
	method, satisfied := req.AuthenticationMethod(second)
	if !satisfied {
		f.o.Logger.Warn("requested authentication method cannot be satisfied; sending what was done",
			"wauth", p.RequestedAuth, "sent", method, "request_id", f.o.RequestID(r))
	}
	facts := claims.Facts{SecondFactor: second, AuthnInstant: s.SecondAt}
	id := *s.Identity
	resp, err := f.o.Issuer.IssueWSFed(req, sts.Subject{NameID: claims.NameID(id)}, claims.Issue(id, facts, f.o.ClaimTypes), sts.Authn{Method: method, Instant: s.SecondAt})
	if errors.Is(err, sts.ErrInvalidXMLText) {
		// A directory value XML cannot carry (U+FFFE, a control character):
		// retrying cannot help, only the directory's administrator can. The
		// error names the claim and the character, never the value.
		f.fail(w, r, http.StatusForbidden, "error.title", "error.unsendable_value",
			"token not issued: a directory value cannot be carried in XML", fmt.Errorf("user %s: %w", id.Username, err))
		return
	}
	if err != nil {
		f.internal(w, r, err)
		return
	}
	// The pending request is answered; a later one starts afresh.
	s.Pending = nil
	if err := f.sessions.update(ctx(r), s); err != nil {
		f.storeFailed(w, r, err)
		return
	}
	f.audit(r, Event{Name: "token_issued", User: id.Username, RelyingParty: p.Realm, Factor: factorsUsed(s)})
	w.Header().Set(HeaderTokenPage, "1")
	f.render(w, r, http.StatusOK, templates.PageAutoPost, templates.AutoPostData{
		Action: resp.ReplyURL,
		Fields: []templates.Field{{Name: "wa", Value: resp.Wa}, {Name: "wresult", Value: resp.WResult}, {Name: "wctx", Value: resp.WCtx}},
	})
}

// factorsUsed names what the user proved, for the audit trail:
// "password+totp", "app_password+sms", or just "password".
func factorsUsed(s *session) string {
	if s.Second && s.SecondKind != "" {
		return s.FirstFactor + "+" + s.SecondKind
	}
	return s.FirstFactor
}
