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
//
// The answer is made first and the session written once, as done and
// with the request already marked answered: one store write where a save
// and then issue's update made two. Nothing leaves before that write, so
// a session another request changed or ended meanwhile (the rotation
// checks the version read) still gets no token, and a refused write
// answers 503 with the signed answer thrown away.
func (f *Flow) finish(w http.ResponseWriter, r *http.Request, s *session, second bool, saved ...func()) {
	s.Stage = stageDone
	s.Method = ""
	s.Second = second
	if !second {
		s.SecondAt = s.FirstAt
	}
	ans := f.prepare(r, s)
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
	f.o.StartBudget.Proved(ThrottleKey(s.Identity.Username), f.o.ClientAddr(r))
	f.succeeded(r, f.attempt(r, s.Identity.Username, now))
	if s.TypedKey != "" && s.TypedKey != ThrottleKey(s.Identity.Username) {
		f.succeeded(r, f.attempt(r, s.TypedKey, now))
	}
	f.send(w, r, s, ans)
}

// issue answers the session's pending request from a finished sign-in
// (single sign-on): the request is marked answered in the stored session
// before the answer leaves, so a session another request changed
// meanwhile gets none.
func (f *Flow) issue(w http.ResponseWriter, r *http.Request, s *session) {
	ans := f.prepare(r, s)
	if ans.answer != nil {
		if err := f.sessions.update(ctx(r), s); err != nil {
			f.storeFailed(w, r, err)
			return
		}
	}
	f.send(w, r, s, ans)
}

// prepared is the answer to a pending request, made but not sent yet:
// either answer (for party) or, when none can be sent, the error page
// fail renders.
type prepared struct {
	answer *Answer
	party  string
	fail   func(w http.ResponseWriter, r *http.Request)
}

// prepare hands the signed-in user and the session's pending request to
// the request's protocol for its answer. When there is one, s records the
// request as answered (no pending request, the party remembered for
// sign-out), for the caller to store before the answer is sent; when
// there is none, s keeps its pending request.
func (f *Flow) prepare(r *http.Request, s *session) prepared {
	p := s.Pending
	proto, ok := f.protocols[p.Protocol]
	if !ok {
		// A session from before a protocol was switched off.
		return prepared{fail: func(w http.ResponseWriter, r *http.Request) {
			f.fail(w, r, http.StatusBadRequest, "error.title", "error.bad_request", "sign-in protocol no longer served: "+p.Protocol, nil)
		}}
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
		return prepared{fail: func(w http.ResponseWriter, r *http.Request) {
			f.fail(w, r, http.StatusBadRequest, "error.title", "error.unknown_realm", "relying party vanished during sign-in", nil)
		}}
	case errors.Is(err, ErrUnsendable):
		// A directory value the answer cannot carry (U+FFFE, a control
		// character in XML): retrying cannot help, only the directory's
		// administrator can. The error names the claim and the
		// character, never the value.
		return prepared{fail: func(w http.ResponseWriter, r *http.Request) {
			f.fail(w, r, http.StatusForbidden, "error.title", "error.unsendable_value",
				"token not issued: a directory value cannot be carried in XML", fmt.Errorf("user %s: %w", id.Username, err))
		}}
	case err != nil:
		return prepared{fail: func(w http.ResponseWriter, r *http.Request) { f.internal(w, r, err) }}
	}
	// The pending request is answered; a later one starts afresh. A party
	// that got a token is recorded, so sign-out can tell it; one that got
	// a refusal has no session of this user to end.
	s.Pending = nil
	if a.Refused == "" {
		s.recordParty(SessionParty{Protocol: p.Protocol, ID: p.Party.ID, Record: a.Record})
	}
	return prepared{answer: a, party: p.Party.ID}
}

// send audits and renders a prepared answer, or its error page, once the
// session that records it is stored.
func (f *Flow) send(w http.ResponseWriter, r *http.Request, s *session, ans prepared) {
	if ans.answer == nil {
		ans.fail(w, r)
		return
	}
	user := s.Identity.Username
	if a := ans.answer; a.Refused != "" {
		f.audit(r, Event{Name: EventSignInRefused, User: user, RelyingParty: ans.party, Factor: factorsUsed(s), Reason: a.Refused})
	} else {
		f.audit(r, Event{Name: "token_issued", User: user, RelyingParty: ans.party, Factor: factorsUsed(s)})
	}
	f.autoPost(w, r, ans.answer)
}

// EventSignInRefused is the audit event of a request answered with the
// protocol's refusal (a SAML error Response: NoPassive, NoAuthnContext,
// RequestDenied, ...) rather than a token; its Reason is the protocol's
// (Answer.Refused).
const EventSignInRefused = "sign_in_refused"

// PostRefusal renders a protocol's refusal of a request it refused before
// the sign-in (a SAML error Response to a replayed or unsatisfiable
// request), logged with party and a.Refused as the reason.
func (f *Flow) PostRefusal(w http.ResponseWriter, r *http.Request, party string, a *Answer) {
	f.refusedAnonymous(r, party, a.Refused)
	f.autoPost(w, r, a)
}

// refusedAnonymous logs a request refused before anyone signed in (no
// user to name): in the service log, not the audit trail. Anyone can send
// such requests as fast as the network carries them (an IsPassive
// AuthnRequest needs no signature), and each audit record is a stored
// row kept for the audit retention, outside every budget (attacker
// review 3). A refusal after a sign-in names its user and is audited
// (sign_in_refused).
func (f *Flow) refusedAnonymous(r *http.Request, party, reason string) {
	f.o.Logger.Info("sign-in request refused before any sign-in", "relying_party", party, "reason", reason, "request_id", f.o.RequestID(r))
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
