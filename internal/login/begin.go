package login

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/templates"
)

// Begin starts the sign-in a protocol adapter parsed into p. A finished
// sign-in answers at once (single sign-on) unless p forces a fresh one;
// a passive request without one is refused; otherwise a new session
// remembers p and the browser goes to the password page.
func (f *Flow) Begin(w http.ResponseWriter, r *http.Request, p *Pending) {
	if _, ok := f.protocols[p.Protocol]; !ok {
		f.internal(w, r, fmt.Errorf("login: sign-in request of unregistered protocol %q", p.Protocol))
		return
	}
	now := f.o.Now()
	s, err := f.sessions.load(r, now)
	if err != nil {
		f.storeFailed(w, r, err)
		return
	}
	if s != nil && s.Stage == stageDone && !p.ForceAuthn && s.Identity != nil &&
		(s.Second || !f.o.RequireSecondFactor) {
		if f.stillValid(w, r, s) {
			s.Pending = p
			f.issue(w, r, s)
		}
		return
	}
	if p.Passive {
		f.refuse(w, r, p, RefusePassive)
		return
	}
	// The new sign-in replaces whatever this browser had (a pending or
	// half-done sign-in, or the SSO session a forced login ends): the old
	// id stops working, whatever version it is at.
	err = f.startSession(w, r, p, s, now)
	switch {
	case errors.Is(err, errStartTooLarge):
		f.fail(w, r, http.StatusBadRequest, "error.title", "error.bad_request", "sign-in request refused: its session would be too large to store", err)
		return
	case errors.Is(err, errStartRefused):
		f.startRefused(w, r)
		return
	case err != nil:
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

// maxNewSession caps a new sign-in's stored session (its JSON): a WS-Fed
// request at its limits (wctx 8 KiB) makes some 12 KiB, AD FS's own about
// 1 KiB. A larger one is refused before anything is stored: a SAML
// AuthnRequest of 32 long class refs, 1.8 KB deflated in a query, made a
// row of 144 KB.
const maxNewSession = 16 << 10

// errStartTooLarge: a new session would be over maxNewSession.
var errStartTooLarge = errors.New("login: new session over its size cap")

// startSession starts the sign-in of p in place of old (this browser's
// session, nil if none): its session within maxNewSession and the
// StartBudget. Replacing old is one rotation at the version read, so of
// concurrent requests with the same cookie only one replaces it. A
// rotation lost to a change of old reads it again and replaces that (its
// parties carried too); one lost because old is gone adds a row. After
// three lost rotations a row is added, carrying old's parties, and only
// once it is stored is old's id deleted, so it stops working whatever
// happens to it.
//
// A replacement pays only for what the row grows, if old is a finished
// sign-in or was paid for within the budget's window (Paid, which the
// replacement inherits, and which ends a pending row's life: rowExpiry);
// otherwise, and for an added row, the whole size: a row cannot be kept
// alive for free past the window it was paid in by starting again every
// few minutes. A refusal (errStartRefused, errStartTooLarge) has written
// and deleted nothing.
func (f *Flow) startSession(w http.ResponseWriter, r *http.Request, p *Pending, old *session, now time.Time) error {
	from, replace, deleteAfter := old, old != nil, ""
	for lost := 0; ; lost++ {
		s, err := f.sessions.start(now)
		if err != nil {
			return err
		}
		s.Pending = p
		s.Parties, s.PartiesOf = carryParties(from)
		s.Paid, s.PaidFor = now, f.o.StartBudget.Window()
		credit := 0
		if replace {
			s.id, s.version = from.id, from.version
			if from.Stage == stageDone || f.paidWithin(from, now) {
				credit = from.size
				if from.Stage != stageDone {
					s.Paid, s.PaidFor = from.Paid, from.PaidFor
				}
			}
		}
		var tooLarge bool
		err = f.sessions.saveIf(ctx(r), w, s, f.startAdmit(r, s, credit, &tooLarge))
		if !replace || !errors.Is(err, errSessionGone) {
			if err == nil && deleteAfter != "" {
				if err := f.sessions.store.DeleteSession(ctx(r), deleteAfter); err != nil {
					return err
				}
			}
			return startErr(err, tooLarge)
		}
		fresh, err := f.sessions.loadID(ctx(r), from.id, now)
		if err != nil {
			return err
		}
		switch {
		case fresh == nil: // rotated or ended by another request: a new row
			from, replace = nil, false
		case lost == 2: // still changing: a new row, then old's id deleted
			from, replace, deleteAfter = fresh, false, fresh.id
		default:
			from = fresh
		}
	}
}

// paidWithin says whether old's row was paid for within the StartBudget's
// window before now, or within the window its payment bought if that is
// shorter (paidWindow: after a reload lengthened the window, a row bought
// at the short one's rate is not free to keep for the long one), with at
// least the idle timeout of that payment's life still left: a free restart
// keeps old's Paid, so one made late in the window would give the user a
// row that ends minutes later, mid-sign-in (a browser that opened the app
// link at 0, 28, 56 and 84 minutes lost its session at 91 with a 30-minute
// idle timeout). Such a restart pays again and gets a whole window. A Paid
// after now, as after the clock stepped back or from another instance's
// clock, is not.
func (f *Flow) paidWithin(old *session, now time.Time) bool {
	b := f.o.StartBudget
	if b == nil || old.Paid.IsZero() {
		return false
	}
	d, pw := now.Sub(old.Paid), paidWindow(old, b.Window())
	return d >= 0 && d < pw && d+f.sessions.idle <= pw
}

// startAdmit is the check of a new sign-in's session of n bytes: within
// maxNewSession (plus what the parties carried from a finished sign-in
// take, themselves bounded by MaxParties), and paid from the StartBudget
// beyond credit bytes. tooLarge is set when the size refused it.
func (f *Flow) startAdmit(r *http.Request, s *session, credit int, tooLarge *bool) func(n int) bool {
	limit := maxNewSession
	if len(s.Parties) > 0 {
		if b, err := json.Marshal(s.Parties); err == nil {
			limit += len(b)
		}
	}
	return func(n int) bool {
		if n > limit {
			*tooLarge = true
			return false
		}
		if b := f.o.StartBudget; b != nil && n > credit {
			return b.Take(f.o.ClientAddr(r), n-credit)
		}
		return true
	}
}

func startErr(err error, tooLarge bool) error {
	if tooLarge && errors.Is(err, errStartRefused) {
		return errStartTooLarge
	}
	return err
}

// startRefused answers a sign-in request the StartBudget had no room for:
// after its delay, the "busy, try again in a moment" page (503,
// Retry-After). Logged at debug only, and no audit record: a flood of
// them must write nothing; the metrics count them.
func (f *Flow) startRefused(w http.ResponseWriter, r *http.Request) {
	f.o.Logger.Debug("sign-in request refused: new-session budget spent", "request_id", f.o.RequestID(r))
	f.o.StartBudget.hold(ctx(r))
	w.Header().Set("Retry-After", strconv.Itoa(startRetryAfter))
	f.render(w, r, http.StatusServiceUnavailable, templates.PageError, templates.ErrorData{
		Common: templates.Common{RequestID: f.o.RequestID(r)}, Status: http.StatusServiceUnavailable,
		TitleKey: "error.busy_title", MessageKey: "error.busy"})
}

// startRetryAfter is the Retry-After of startRefused, in seconds.
const startRetryAfter = 5

// refuse answers p with its protocol's refusal, or an error page.
func (f *Flow) refuse(w http.ResponseWriter, r *http.Request, p *Pending, why Refusal) {
	a, err := f.protocols[p.Protocol].Refuse(r, p, why)
	if err != nil {
		f.fail(w, r, http.StatusBadRequest, "error.title", "error.bad_request", "sign-in request refused: "+string(why), err)
		return
	}
	reason := a.Refused
	if reason == "" {
		reason = string(why)
	}
	f.refusedAnonymous(r, p.Party.ID, reason)
	f.autoPost(w, r, a)
}

// EndSession ends this browser's sign-in session (cookie and stored
// session), whatever it is, for a protocol's sign-out, and audits it for
// party (which may be empty). It has answered, with an error page, when it
// returns false; the caller writes the sign-out answer otherwise. SignOut
// is the same with a check first and the session's parties returned.
func (f *Flow) EndSession(w http.ResponseWriter, r *http.Request, party string) bool {
	_, res := f.SignOut(w, r, party, nil)
	return res != SignOutFailed
}

// SignedOut renders the "signed out" page.
func (f *Flow) SignedOut(w http.ResponseWriter, r *http.Request) {
	f.page(w, r, http.StatusOK, pageSignedOut)
}

// Fail answers a protocol request the adapter refused: a fixed, generic
// message (msgKey, a template text key) and the detail in the log only.
func (f *Flow) Fail(w http.ResponseWriter, r *http.Request, status int, msgKey, logMsg string, err error) {
	f.fail(w, r, status, "error.title", msgKey, logMsg, err)
}

// FormError answers a protocol query or form that could not be read: 413
// when it was over its size cap, 400 otherwise.
func (f *Flow) FormError(w http.ResponseWriter, r *http.Request, logMsg string, err error) {
	f.formError(w, r, logMsg, err)
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

// carryParties is what a new sign-in keeps of the session it replaces:
// the parties that session answered, and whose they were. A forced
// re-authentication (ForceAuthn, wfresh=0) must not make single logout
// forget them: they still hold sessions of that user in this browser.
// The new sign-in keeps them if the same user signs in (issue), and they
// stay reachable by a LogoutRequest meanwhile (view).
func carryParties(old *session) ([]SessionParty, string) {
	if old == nil || len(old.Parties) == 0 {
		return nil, ""
	}
	of := old.PartiesOf
	if old.Identity != nil && old.Stage == stageDone {
		of = old.Identity.Username
	}
	if of == "" {
		return nil, ""
	}
	return old.Parties, of
}
