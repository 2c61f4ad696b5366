package login

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/claimgate/claimgate/templates"
)

// firstDone loads the session of a user who passed the first factor.
func (f *Flow) firstDone(w http.ResponseWriter, r *http.Request) (*session, bool) {
	s, err := f.sessions.load(r, f.o.Now())
	if err != nil {
		f.storeFailed(w, r, err)
		return nil, false
	}
	if s == nil || s.Pending == nil || s.Stage != stageFirst || s.Identity == nil {
		f.expired(w, r)
		return nil, false
	}
	return s, true
}

// methods lists the user's second factors, choosing the first one when the
// user has not picked.
func (f *Flow) methods(w http.ResponseWriter, r *http.Request, s *session) ([]Method, *Method, bool) {
	ms, err := f.o.SecondFactor.Methods(ctx(r), *s.Identity)
	if err != nil {
		f.storeFailed(w, r, err)
		return nil, nil, false
	}
	for i := range ms {
		if ms[i].ID == s.Method {
			return ms, &ms[i], true
		}
	}
	if len(ms) == 0 {
		return nil, nil, true
	}
	return ms, &ms[0], true
}

// CodePage shows the one-time code form (or sends an SMS code first).
func (f *Flow) CodePage(w http.ResponseWriter, r *http.Request) {
	s, ok := f.firstDone(w, r)
	if !ok {
		return
	}
	if !f.o.RequireSecondFactor && f.o.SecondFactor == nil {
		f.finish(w, r, s, false)
		return
	}
	ms, m, ok := f.methods(w, r, s)
	if !ok {
		return
	}
	if m == nil {
		f.noFactor(w, r, s)
		return
	}
	if s.Method != m.ID && !onlyReady(s, ms) {
		if len(ms) > 1 && s.Method == "" {
			f.showChooser(w, r, s, ms)
			return
		}
		prepErr := f.o.SecondFactor.Prepare(ctx(r), *s.Identity, *m, f.o.Now())
		if prepErr != nil && !isWait(prepErr) {
			f.secondFactorDown(w, r, prepErr)
			return
		}
		s.Method = m.ID
		if err := f.sessions.update(ctx(r), s); err != nil {
			f.storeFailed(w, r, err)
			return
		}
		if prepErr != nil {
			f.showWait(w, r, s, ms, m, prepErr)
			return
		}
	}
	f.showCode(w, r, s, ms, m, http.StatusOK, "")
}

// onlyReady reports whether the session has no method recorded and the
// user's only method is ready (Method.Ready): the code page then needs no
// Prepare and no session write, and the code POST answers that method.
func onlyReady(s *session, ms []Method) bool {
	return s.Method == "" && len(ms) == 1 && ms[0].Ready
}

// isWait says whether err is a WaitError: no code may be sent yet.
func isWait(err error) bool {
	var we *WaitError
	return errors.As(err, &we)
}

// showWait answers a refused send with the code page, saying how long to
// wait (the last code sent may still work), and logs it as what it is: a
// limit, not an outage.
func (f *Flow) showWait(w http.ResponseWriter, r *http.Request, s *session, ms []Method, m *Method, err error) {
	var we *WaitError
	errors.As(err, &we)
	f.o.Logger.Info("second factor: no code sent, limit reached", "reason", we.Reason, "wait", we.Wait.Round(time.Second).String(),
		"user", s.Identity.Username, "request_id", f.o.RequestID(r))
	f.render(w, r, http.StatusTooManyRequests, templates.PageCode, f.codeData(r, s, ms, m, "error.resend_limit", waitText(we.Wait)))
}

// waitText is a short, language-neutral duration: "45 s", "3 min".
func waitText(d time.Duration) string {
	if d <= 2*time.Minute {
		return fmt.Sprintf("%d s", int((d+time.Second-1)/time.Second))
	}
	return fmt.Sprintf("%d min", int((d+time.Minute-1)/time.Minute))
}

// secondFactorDown answers a second factor that could not be prepared (the
// SMS gateway or the store failed).
func (f *Flow) secondFactorDown(w http.ResponseWriter, r *http.Request, err error) {
	f.tryLater(w, r, "second factor unavailable", err)
}

func (f *Flow) showCode(w http.ResponseWriter, r *http.Request, s *session, ms []Method, m *Method, status int, errKey string) {
	f.render(w, r, status, templates.PageCode, f.codeData(r, s, ms, m, errKey, ""))
}

func (f *Flow) codeData(r *http.Request, s *session, ms []Method, m *Method, errKey, wait string) templates.CodeData {
	d := templates.CodeData{
		Common: templates.Common{CSRF: s.CSRF, RequestID: f.o.RequestID(r)},
		Action: PathCode, ErrorKey: errKey, Method: m.Label, Digits: m.Digits, Wait: wait,
	}
	if m.Kind == "sms" {
		d.ResendAction = PathSend
		if errKey == "" {
			d.InfoKey = "code.sent"
		}
	}
	if len(ms) > 1 {
		d.ChooseAction = PathPick
	}
	return d
}

func (f *Flow) noFactor(w http.ResponseWriter, r *http.Request, s *session) {
	if !f.o.RequireSecondFactor {
		f.finish(w, r, s, false)
		return
	}
	if f.o.Enrol != nil {
		f.enrolStart(w, r, s)
		return
	}
	f.audit(r, Event{Name: "second_factor_failed", User: s.Identity.Username, Reason: "no_factor_enrolled", RelyingParty: s.Pending.Party.ID})
	f.fail(w, r, http.StatusForbidden, "error.title", "error.no_factor", "user has no second factor", nil)
}

// CodeSubmit checks the one-time code and, when it is right, issues the token.
func (f *Flow) CodeSubmit(w http.ResponseWriter, r *http.Request) {
	s, release, ok := f.secondStep(w, r, "code")
	if !ok {
		return
	}
	defer release()
	if !checkCSRF(s, r) {
		f.fail(w, r, http.StatusForbidden, "error.title", "error.csrf", "CSRF token mismatch on code", nil)
		return
	}
	if f.o.SecondFactor == nil {
		f.expired(w, r)
		return
	}
	ms, m, ok := f.methods(w, r, s)
	if !ok {
		return
	}
	if m == nil || (m.ID != s.Method && !onlyReady(s, ms)) {
		f.expired(w, r)
		return
	}
	now := f.o.Now()
	user := s.Identity.Username
	try := f.attempt(r, user, now)
	res, allowed, err := f.reserve(r, try, CredentialCode)
	if err != nil {
		f.storeFailed(w, r, err)
		return
	}
	if !allowed {
		f.audit(r, Event{Name: "second_factor_failed", User: user, Reason: "locked_out", Factor: m.Kind, RelyingParty: s.Pending.Party.ID})
		// Counted in the sign-in like a wrong code, so the answer that
		// follows (another try, or the sign-in ended after
		// max_code_attempts) does not tell a lock from a wrong guess.
		if !f.wrongCode(w, r, s) {
			return
		}
		f.showCode(w, r, s, ms, m, http.StatusOK, "error.code")
		return
	}
	// A lock lost while waiting must not verify: Verify consumes a TOTP
	// code, and the save that follows would refuse to write the result.
	if err := lost(s.held); err != nil {
		if perr := res.Pass(ctx(r)); perr != nil {
			f.o.Logger.Error("throttle: attempt not given back", "err", perr, "request_id", f.o.RequestID(r))
		}
		f.storeFailed(w, r, err)
		return
	}
	code := strings.TrimSpace(r.PostFormValue("code"))
	good := false
	if code != "" && len(code) <= 16 {
		good, err = f.o.SecondFactor.Verify(ctx(r), *s.Identity, *m, code, now)
		if err != nil {
			if perr := res.Pass(ctx(r)); perr != nil {
				f.o.Logger.Error("throttle: attempt not given back", "err", perr, "request_id", f.o.RequestID(r))
			}
			f.storeFailed(w, r, err)
			return
		}
	}
	if !good {
		if err := res.Fail(ctx(r)); err != nil {
			f.storeFailed(w, r, err)
			return
		}
		f.audit(r, Event{Name: "second_factor_failed", User: user, Reason: "bad_code", Factor: m.Kind, RelyingParty: s.Pending.Party.ID})
		if !f.wrongCode(w, r, s) {
			return
		}
		f.showCode(w, r, s, ms, m, http.StatusOK, "error.code")
		return
	}
	if err := res.Pass(ctx(r)); err != nil {
		f.storeFailed(w, r, err)
		return
	}
	party := s.Pending.Party.ID
	s.SecondAt, s.SecondKind = now, m.Kind
	// Audited only once the session is saved (finish's saved hook): a save
	// refused (lock lost, store down) answers 503 and records no success.
	f.finish(w, r, s, true, func() {
		f.audit(r, Event{Name: "second_factor_ok", User: user, Factor: m.Kind, RelyingParty: party})
	})
}

// wrongCode counts a wrong code against this sign-in. After MaxCodeAttempts
// the sign-in ends, whatever the lockout says, and the user starts again
// from the application. It has answered when it returns false.
func (f *Flow) wrongCode(w http.ResponseWriter, r *http.Request, s *session) bool {
	s.Attempts++
	if s.Attempts >= f.o.MaxCodeAttempts {
		if err := f.sessions.end(ctx(r), w, s); err != nil {
			// Not ended: the sign-in must not go on with its count
			// unsaved, so this answer is "try again later", not a page
			// that offers another code.
			f.storeFailed(w, r, err)
			return false
		}
		f.fail(w, r, http.StatusForbidden, "error.title", "error.session_expired", "too many wrong codes in one sign-in", nil)
		return false
	}
	if err := f.sessions.update(ctx(r), s); err != nil {
		f.storeFailed(w, r, err)
		return false
	}
	return true
}
