package login

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/templates"
)

// finish marks the sign-in done (a new session id) and issues the token.
// Every way of finishing clears the failure count and lets the throttle
// remember this address as one the user signs in from.
// saved, if any, run once the session is saved (the audit of the step
// that finished it), before the token is issued.
func (f *Flow) finish(w http.ResponseWriter, r *http.Request, s *session, second bool, saved ...func()) {
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
	for _, fn := range saved {
		fn()
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

// issue hands the signed-in user and the session's pending request to the
// request's protocol and renders its answer. The request is marked
// answered before the answer leaves, so a session another request changed
// meanwhile gets none.
func (f *Flow) issue(w http.ResponseWriter, r *http.Request, s *session) {
	p := s.Pending
	proto, ok := f.protocols[p.Protocol]
	if !ok {
		// A session from before a protocol was switched off.
		f.fail(w, r, http.StatusBadRequest, "error.title", "error.bad_request", "sign-in protocol no longer served: "+p.Protocol, nil)
		return
	}
	if n := s.adoptParties(); n > 0 {
		f.o.Logger.Info("sign-in by another user: the replaced session's parties are not carried over", "parties", n, "request_id", f.o.RequestID(r))
	}
	id := *s.Identity
	u := SignedIn{
		Identity:     id,
		Claims:       claims.Issue(id, claims.Facts{SecondFactor: s.Second, AuthnInstant: s.SecondAt}, f.o.ClaimTypes),
		SecondFactor: s.Second,
		AuthnInstant: s.SecondAt,
		Session:      view(s),
	}
	a, err := proto.Answer(r, u, p)
	switch {
	case errors.Is(err, ErrPartyGone):
		f.fail(w, r, http.StatusBadRequest, "error.title", "error.unknown_realm", "relying party vanished during sign-in", nil)
		return
	case errors.Is(err, ErrUnsendable):
		// A directory value the answer cannot carry (U+FFFE, a control
		// character in XML): retrying cannot help, only the directory's
		// administrator can. The error names the claim and the
		// character, never the value.
		f.fail(w, r, http.StatusForbidden, "error.title", "error.unsendable_value",
			"token not issued: a directory value cannot be carried in XML", fmt.Errorf("user %s: %w", id.Username, err))
		return
	case err != nil:
		f.internal(w, r, err)
		return
	}
	// The pending request is answered; a later one starts afresh. A party
	// that got a token is recorded, so sign-out can tell it; one that got
	// a refusal has no session of this user to end.
	s.Pending = nil
	if a.Refused == "" {
		s.recordParty(SessionParty{Protocol: p.Protocol, ID: p.Party.ID, Record: a.Record})
	}
	if err := f.sessions.update(ctx(r), s); err != nil {
		f.storeFailed(w, r, err)
		return
	}
	if a.Refused != "" {
		f.audit(r, Event{Name: EventSignInRefused, User: id.Username, RelyingParty: p.Party.ID, Factor: factorsUsed(s), Reason: a.Refused})
	} else {
		f.audit(r, Event{Name: "token_issued", User: id.Username, RelyingParty: p.Party.ID, Factor: factorsUsed(s)})
	}
	f.autoPost(w, r, a)
}

// EventSignInRefused is the audit event of a request answered with the
// protocol's refusal (a SAML error Response: NoPassive, NoAuthnContext,
// RequestDenied, ...) rather than a token; its Reason is the protocol's
// (Answer.Refused).
const EventSignInRefused = "sign_in_refused"

// PostRefusal renders a protocol's refusal of a request it refused before
// the sign-in (a SAML error Response to a replayed or unsatisfiable
// request), audited as sign_in_refused for party with a.Refused as the
// reason.
func (f *Flow) PostRefusal(w http.ResponseWriter, r *http.Request, party string, a *Answer) {
	f.audit(r, Event{Name: EventSignInRefused, RelyingParty: party, Reason: a.Refused})
	f.autoPost(w, r, a)
}

// autoPost renders the page that posts an answer to its party at once.
func (f *Flow) autoPost(w http.ResponseWriter, r *http.Request, a *Answer) {
	w.Header().Set(HeaderTokenPage, "1")
	f.render(w, r, http.StatusOK, templates.PageAutoPost, templates.AutoPostData{Action: a.URL, Fields: a.Fields})
}

// factorsUsed names what the user proved, for the audit trail:
// "password+totp", "app_password+sms", or just "password".
func factorsUsed(s *session) string {
	if s.Second && s.SecondKind != "" {
		return s.FirstFactor + "+" + s.SecondKind
	}
	return s.FirstFactor
}
