package login

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/claimgate/claimgate/templates"
)

// SignOutResult is what SignOut did.
type SignOutResult int

// The results of SignOut.
const (
	// SignOutFailed: the session could not be read or deleted; an error
	// page was sent and nothing else may be written.
	SignOutFailed SignOutResult = iota
	// SignOutNone: no signed-in session; nothing was ended (the browser
	// is already signed out, or only has a sign-in not yet finished).
	SignOutNone
	// SignOutEnded: the session was ended and audited.
	SignOutEnded
	// SignOutRefused: match refused the session; it was kept.
	SignOutRefused
	// SignOutAsking: SignOutAsked showed the "sign out?" page; the
	// session was kept.
	SignOutAsking
)

// SignOut ends this browser's session for a protocol's sign-out, and
// returns it as it was (its user and parties, for propagation).
//
// With match nil any session ends, a sign-in not yet finished too (a
// WS-Federation sign-out ends whatever the browser has), and the result
// is SignOutEnded even without one. With match set, only a signed-in
// session is considered: none gives SignOutNone and nothing changes; a
// session match refuses (a LogoutRequest naming another subject or
// session) is kept, SignOutRefused. The sign-out is audited for party
// (which may be empty) when it ended a session.
func (f *Flow) SignOut(w http.ResponseWriter, r *http.Request, party string, match func(*Session) bool) (*Session, SignOutResult) {
	s, err := f.sessions.load(r, f.o.Now())
	if err != nil {
		f.storeFailed(w, r, err)
		return nil, SignOutFailed
	}
	v := view(s)
	if match != nil {
		if v == nil {
			return nil, SignOutNone
		}
		if !match(v) {
			return v, SignOutRefused
		}
	}
	if err := f.sessions.end(ctx(r), w, s); err != nil {
		// The session still works (its cookie is kept): saying "signed
		// out" would leave it usable on a shared computer by whoever
		// comes next. The user is asked to try again, and the audit log
		// records no sign-out that did not happen.
		f.tryLater(w, r, "sign-out: session not deleted", err)
		return nil, SignOutFailed
	}
	if s == nil {
		// Nothing ended: no audit record. Anyone can send a sign-out
		// without a cookie, thousands a second, and each record would be
		// a stored row kept for the audit retention, outside every budget
		// (attacker review 3b).
		return v, SignOutEnded
	}
	user := ""
	if s.Identity != nil {
		user = s.Identity.Username
	}
	f.audit(r, Event{Name: "sign_out", User: user, RelyingParty: party})
	return v, SignOutEnded
}

// SignOutAsked is SignOut (any session ends) for a sign-out message that
// anyone could have sent: WS-Federation's wsignout1.0 carries no signature,
// and a link or script on any site sends it with the session cookie
// (SameSite=Lax goes with a top-level GET). Ending claimgate's own session
// on it is what the protocol expects (adfs-protocol.md: sign-out changes
// nothing beyond our own session), but telling the session's parties of
// other protocols (claimgate-signed SAML LogoutRequests ending the user's
// sessions at its SAML SPs) is more than that: SAML's own logout is
// accepted only signed (saml.md). So when the session has such a party
// (of a protocol other than asker that can be told, SignOutNotifier),
// nothing changes yet: the "sign out?" page asks the user, and its button
// posts form's fields back to form.Action with the session's CSRF token,
// which SignOutAsked then accepts. It returns SignOutAsking when it showed
// that page; otherwise it is SignOut(w, r, party, nil).
func (f *Flow) SignOutAsked(w http.ResponseWriter, r *http.Request, party, asker string, form SignOutForm) (*Session, SignOutResult) {
	s, err := f.sessions.load(r, f.o.Now())
	if err != nil {
		f.storeFailed(w, r, err)
		return nil, SignOutFailed
	}
	if v := view(s); v != nil && f.tellsOthers(v, asker) {
		if r.Method != http.MethodPost || r.PostFormValue(FieldConfirmSignOut) == "" {
			f.render(w, r, http.StatusOK, templates.PageSignOutConfirm, templates.SignOutConfirmData{
				Common: templates.Common{CSRF: s.CSRF, RequestID: f.o.RequestID(r)}, Action: form.Action,
				Fields: append(slices.Clip(form.Fields), templates.Field{Name: FieldConfirmSignOut, Value: "1"})})
			return v, SignOutAsking
		}
		if !checkCSRF(s, r) {
			f.fail(w, r, http.StatusForbidden, "error.title", "error.csrf", "CSRF token mismatch on sign-out", nil)
			return nil, SignOutFailed
		}
	}
	return f.SignOut(w, r, party, nil)
}

// FieldConfirmSignOut is the form field of the "sign out?" page's button.
const FieldConfirmSignOut = "confirm_signout"

// SignOutForm is where the "sign out?" page posts: the endpoint that got
// the sign-out message and that message's fields (the page adds the
// CSRF token and FieldConfirmSignOut).
type SignOutForm struct {
	Action string
	Fields []templates.Field
}

// tellsOthers: v has a party that SigningOut would tell, other than those
// of protocol asker.
func (f *Flow) tellsOthers(v *Session, asker string) bool {
	for _, p := range v.Parties {
		if p.Protocol == asker {
			continue
		}
		if _, ok := f.protocols[p.Protocol].(SignOutNotifier); ok {
			return true
		}
	}
	return false
}

// Continue is the last step of a sign-out, taken once every other party
// was told: post Answer (the LogoutResponse to the party that asked), or
// go to URL (a WS-Fed wreply); with both empty, the "signed out" page.
type Continue struct {
	Answer *Answer
	URL    string
}

// PathSignedOut shows the "signed out" page: where the "signing out" page
// goes when no party waits for an answer. It changes nothing.
const PathSignedOut = "/login/signed-out"

// HeaderFrameSources is set by the "signing out" page to the origins of
// its frames, space-separated; the server middleware removes it and
// allows exactly those origins as frame-src for that response only.
const HeaderFrameSources = "X-Claimgate-Frame-Sources"

// FramingSelf is the HeaderAllowFraming value of a response that only
// claimgate's own pages may frame: the tiny page a party's LogoutResponse
// gets inside a frame of the "signing out" page.
const FramingSelf = "self"

// SigningOut tells the other parties of ended that it ended, then takes
// the step cont makes. Every party of ended but initiator (the one that
// asked, which gets cont's answer) whose protocol can tell it
// (SignOutNotifier) gets its message in a hidden frame of the "signing
// out" page; the page's script takes the step once the frames have
// loaded. With no frame, the step is taken at once. cont learns how many
// parties could not be told (no logout endpoint, or their message could
// not be made), so a protocol that reports a partial logout can say so.
func (f *Flow) SigningOut(w http.ResponseWriter, r *http.Request, ended *Session, initiator *SessionParty, cont func(untold int) (Continue, error)) {
	var frames []templates.SignOutFrame
	var origins []string
	untold := 0
	if ended != nil {
		for _, p := range ended.Parties {
			if initiator != nil && p.Protocol == initiator.Protocol && p.ID == initiator.ID {
				continue
			}
			n, ok := f.protocols[p.Protocol].(SignOutNotifier)
			if !ok {
				untold++
				continue
			}
			fr, err := n.SignOutFrame(r, p)
			if err != nil {
				// One party that cannot be told must not keep the user
				// from the others or from the answer.
				f.o.Logger.Warn("sign-out: party not told", "protocol", p.Protocol, "party", p.ID, "err", err, "request_id", f.o.RequestID(r))
				untold++
				continue
			}
			if fr == nil {
				untold++
				continue
			}
			origin, ok := frameOrigin(fr)
			if !ok {
				f.o.Logger.Warn("sign-out: party's logout URL is not an http(s) URL; not told", "protocol", p.Protocol, "party", p.ID, "request_id", f.o.RequestID(r))
				untold++
				continue
			}
			if !slices.Contains(origins, origin) {
				origins = append(origins, origin)
			}
			frames = append(frames, templates.SignOutFrame{URL: fr.URL, Post: fr.Post, Fields: fr.Fields})
		}
	}
	c, err := cont(untold)
	if err != nil {
		f.internal(w, r, err)
		return
	}
	if len(frames) == 0 {
		f.continueSignOut(w, r, c)
		return
	}
	f.o.Logger.Info("sign-out: telling the session's other parties", "frames", len(frames), "request_id", f.o.RequestID(r))
	data := templates.SigningOutData{Common: templates.Common{RequestID: f.o.RequestID(r)}, Frames: frames, ContinueURL: PathSignedOut}
	switch {
	case c.Answer != nil:
		data.ContinueURL, data.ContinueAction, data.ContinueFields = "", c.Answer.URL, c.Answer.Fields
	case c.URL != "":
		data.ContinueURL = c.URL
	}
	for _, o := range origins {
		w.Header().Add(HeaderFrameSources, o)
	}
	f.render(w, r, http.StatusOK, templates.PageSigningOut, data)
}

// continueSignOut takes cont at once.
func (f *Flow) continueSignOut(w http.ResponseWriter, r *http.Request, cont Continue) {
	switch {
	case cont.Answer != nil:
		f.autoPost(w, r, cont.Answer)
	case cont.URL != "":
		http.Redirect(w, r, cont.URL, http.StatusSeeOther)
	default:
		f.SignedOut(w, r)
	}
}

// frameOrigin is the scheme://host of a frame's URL, the CSP source that
// allows it; only absolute http(s) URLs qualify.
func frameOrigin(fr *Frame) (string, bool) {
	if fr == nil {
		return "", false
	}
	u, err := url.Parse(fr.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", false
	}
	return u.Scheme + "://" + u.Host, true
}
