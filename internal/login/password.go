package login

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/templates"
)

// maxForm caps a login form body; a user name and a password are small.
const maxForm = 8 << 10

// LoginPage shows the user name and password form.
func (f *Flow) LoginPage(w http.ResponseWriter, r *http.Request) {
	s, err := f.sessions.load(r, f.o.Now())
	if err != nil {
		f.storeFailed(w, r, err)
		return
	}
	if s == nil || s.Pending == nil {
		f.fail(w, r, http.StatusBadRequest, "error.title", "error.no_request", "login page without a sign-in request", nil)
		return
	}
	if s.Stage == stageFirst {
		http.Redirect(w, r, PathCode, http.StatusSeeOther)
		return
	}
	f.showLogin(w, r, s, http.StatusOK, s.Pending.LoginHint, "")
}

func (f *Flow) showLogin(w http.ResponseWriter, r *http.Request, s *session, status int, username, errKey string) {
	d := templates.LoginData{
		Common:   templates.Common{CSRF: s.CSRF, RequestID: f.o.RequestID(r)},
		Action:   PathLogin,
		Username: username, ErrorKey: errKey, AppPasswordsOnly: f.o.AppPasswordOnly,
		HintExamples:     f.o.Page.Hint.examples(f.o.Pages.T("login.hint_user"), f.o.Pages.T("login.hint_or")),
		HintAppPasswords: f.o.AppPasswords != nil && !f.o.AppPasswordOnly,
		// Shown only under a must-change or expired-password message.
		PasswordChangeURL: f.o.Page.PasswordChangeURL,
	}
	f.render(w, r, status, templates.PageLogin, d)
}

// LoginSubmit checks the first factor.
func (f *Flow) LoginSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		f.formError(w, r, "unparsable login form", err)
		return
	}
	// Everything before the locks is a read or the throttle's atomic
	// count: a request without a live session or its CSRF token takes no
	// lease, and a refused attempt (locked out) spends its decoy check
	// without holding the user's lock, so a flood of refused guesses
	// cannot keep the user's own admitted attempts waiting for the lock.
	// Only attempts the throttle admits, a number its limits bound, queue
	// for the user's lock.
	now := f.o.Now()
	s, ok := f.pendingSession(w, r, now)
	if !ok {
		return
	}
	username := strings.TrimSpace(r.PostFormValue("username"))
	password := r.PostFormValue("password")
	if username == "" || password == "" || len(username) > 256 || len(password) > 1024 {
		f.showLogin(w, r, s, http.StatusOK, username, "error.credentials")
		return
	}
	try := f.attempt(r, username, now)
	g := f.guard()
	// From an unfamiliar address the attempt needs a place in the guard's
	// budget, before it is reserved (so a busy answer costs no write) and
	// before the user's lock (so a queued attempt never holds up the
	// user's own).
	leave, ok, err := f.admit(r, g, try)
	if err != nil {
		f.storeFailed(w, r, err)
		return
	}
	if !ok {
		f.audit(r, Event{Name: "first_factor_failed", User: username, Reason: "busy", RelyingParty: s.Pending.Party.ID})
		f.busy(w, r, g)
		return
	}
	defer leave()
	// Timed from here to the failure counted: what a refused attempt
	// skips (its reservation's write, the user's lock, the check), and so
	// what its delay is drawn from.
	start := g.start()
	res, allowed, err := f.reserve(r, try, CredentialPassword)
	if err != nil {
		f.storeFailed(w, r, err)
		return
	}
	if !allowed {
		// Locked: the page looks exactly like a wrong password, and the
		// answer takes as long, but nothing is checked and nothing reaches
		// the directory's bad-password count. With a guard it costs time,
		// not work (SprayGuard), and holds no place in its budget.
		leave()
		f.refused(r, g, username, password)
		f.audit(r, Event{Name: "first_factor_failed", User: username, Reason: "locked_out", RelyingParty: s.Pending.Party.ID})
		f.showLogin(w, r, s, http.StatusOK, username, "error.credentials")
		return
	}
	giveBack := func() {
		// Nothing was checked: the attempt does not count.
		if perr := res.Pass(ctx(r)); perr != nil {
			f.o.Logger.Error("throttle: attempt not given back", "err", perr, "request_id", f.o.RequestID(r))
		}
	}
	held, release, ok := f.serialize(w, r, username)
	if !ok {
		giveBack()
		return
	}
	defer release()
	// Read again under the locks: another request for this session may
	// have moved it on while this one waited.
	if s, ok = f.pendingSession(w, r, now); !ok {
		giveBack()
		return
	}
	s.held = held
	// A lock lost while waiting (its lease not renewed in time) must not
	// check anything: the check would be audited and counted, and then the
	// save would refuse to write its result.
	if err := lost(held); err != nil {
		giveBack()
		f.storeFailed(w, r, err)
		return
	}
	id, method, reason, err := f.firstFactor(r, username, password, now)
	if errors.Is(err, mfa.ErrBusy) {
		// No place for the check came free within the Limiter's MaxWait
		// (a flood of checks): nothing was checked, nothing is counted.
		giveBack()
		f.tryLater(w, r, "password checks busy", err)
		return
	}
	if err != nil {
		giveBack()
		f.unavailable(w, r, err)
		return
	}
	if reason.NeedsPasswordChange() {
		// The directory verified the password (AD says 773 or 532 only
		// to a correct one) and refuses it only because it must be
		// changed. That is no wrong guess: the attempt is given back, so
		// a user who tries again while changing it is never locked out by
		// claimgate (AD does not count it either), and the page may say
		// what is wrong, which tells nothing to whoever lacks the
		// password. The address does not become familiar: no sign-in
		// finished. The audit record keeps the reason.
		if err := res.Pass(ctx(r)); err != nil {
			f.storeFailed(w, r, err)
			return
		}
		f.audit(r, Event{Name: "first_factor_failed", User: username, Reason: string(reason), RelyingParty: s.Pending.Party.ID})
		f.showLogin(w, r, s, http.StatusOK, username, passwordChangeKey(reason))
		return
	}
	if reason != "" {
		if err := res.Fail(ctx(r)); err != nil {
			f.storeFailed(w, r, err)
			return
		}
		leave() // a padded answer holds no place in the admission's budget
		g.rejected(ctx(r), start, reason == claims.ReasonBadPassword)
		f.audit(r, Event{Name: "first_factor_failed", User: username, Reason: string(reason), RelyingParty: s.Pending.Party.ID})
		f.showLogin(w, r, s, http.StatusOK, username, "error.credentials")
		return
	}
	if err := res.Pass(ctx(r)); err != nil {
		f.storeFailed(w, r, err)
		return
	}
	party := s.Pending.Party.ID
	s.Stage, s.Identity, s.FirstFactor, s.FirstAt, s.Attempts = stageFirst, &id, method, now, 0
	s.TypedKey = try.key
	if err := f.sessions.save(ctx(r), w, s); err != nil {
		f.storeFailed(w, r, err)
		return
	}
	// Audited only once saved: a save refused (lock lost, store down)
	// answers 503 and this sign-in did not get past its first factor.
	f.audit(r, Event{Name: "first_factor_ok", User: id.Username, Factor: method, RelyingParty: party})
	http.Redirect(w, r, PathCode, http.StatusSeeOther)
}

// pendingSession loads the session of a password POST and checks its stage
// and CSRF token. It has answered when it returns false.
func (f *Flow) pendingSession(w http.ResponseWriter, r *http.Request, now time.Time) (*session, bool) {
	s, err := f.sessions.load(r, now)
	if err != nil {
		f.storeFailed(w, r, err)
		return nil, false
	}
	if s == nil || s.Pending == nil || s.Stage != stagePending {
		f.expired(w, r)
		return nil, false
	}
	if !checkCSRF(s, r) {
		f.fail(w, r, http.StatusForbidden, "error.title", "error.csrf", "CSRF token mismatch on login", nil)
		return nil, false
	}
	return s, true
}

// firstFactor checks the domain password and, failing that, the user's app
// passwords. It returns a rejection reason, or an error when the directory
// could not answer.
func (f *Flow) firstFactor(r *http.Request, username, password string, now time.Time) (claims.Identity, string, claims.Reason, error) {
	if !f.o.AppPasswordOnly {
		id, err := f.o.Directory.Authenticate(ctx(r), username, password)
		if err == nil {
			return id, "password", "", nil
		}
		reason, rejected := claims.IsRejected(err)
		if !rejected {
			return claims.Identity{}, "", "", err
		}
		// Only a wrong password may be an app password instead; a
		// disabled or locked account stays refused.
		if f.o.AppPasswords == nil {
			return claims.Identity{}, "", reason, nil
		}
		if reason != claims.ReasonBadPassword {
			// An unknown, disabled or locked account would otherwise answer
			// faster than a wrong password (which goes on to the app
			// passwords' argon2id), and the time would tell which names
			// exist. Spend the same work, deciding nothing: a disabled
			// account's valid app password is not a success.
			f.o.AppPasswords.SpendCheck(ctx(r), username, password)
			return claims.Identity{}, "", reason, nil
		}
	}
	if f.o.AppPasswords == nil {
		return claims.Identity{}, "", claims.ReasonBadPassword, nil
	}
	id, err := f.o.Directory.Lookup(ctx(r), username)
	if err != nil {
		if reason, ok := claims.IsRejected(err); ok {
			// As above: an unknown name must cost what a known one does.
			f.o.AppPasswords.SpendCheck(ctx(r), username, password)
			if reason.NeedsPasswordChange() {
				// A lookup checks no password, and the one typed was not
				// the domain password: the page must not name the
				// account's state (see passwordChangeKey).
				reason = claims.ReasonBadPassword
			}
			return claims.Identity{}, "", reason, nil
		}
		return claims.Identity{}, "", "", err
	}
	ok, err := f.o.AppPasswords.CheckAppPassword(ctx(r), id.Username, password, now)
	if err != nil {
		return claims.Identity{}, "", "", err
	}
	if !ok {
		return claims.Identity{}, "", claims.ReasonBadPassword, nil
	}
	return id, "app_password", "", nil
}

// spendCheck costs what checking a password costs and checks nothing: for
// a locked-out attempt, so its answer is as slow as a checked one's.
func (f *Flow) spendCheck(r *http.Request, username, password string) {
	if d, ok := f.o.Directory.(Decoy); ok && !f.o.AppPasswordOnly {
		d.SpendCheck(ctx(r), username, password)
	}
	if f.o.AppPasswords != nil {
		f.o.AppPasswords.SpendCheck(ctx(r), username, password)
	}
}
