package login

import (
	"context"
	"encoding/base32"
	"encoding/base64"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/templates"
)

// Enrollment is a TOTP secret offered to a user, kept in the session until
// the user proves one code from it.
// The secret is saved (encrypted, unconfirmed) by Begin; the session holds
// only its id, so no secret ever sits in a session record.
type Enrollment struct {
	ID     string
	Secret []byte
	URI    string
	QRPNG  []byte
}

// Enroller lets a user with no second factor set up an authenticator app.
type Enroller interface {
	// Allowed says whether policy lets this user enrol from addr, and
	// whether an administrator-issued enrolment code is needed.
	Allowed(ctx context.Context, user claims.Identity, addr string) (ok, needCode bool)
	// Begin makes and stores a new, unconfirmed secret.
	Begin(ctx context.Context, user claims.Identity) (*Enrollment, error)
	// Present loads an unconfirmed secret for display (URI and QR).
	Present(ctx context.Context, user claims.Identity, id string) (*Enrollment, error)
	// Finish confirms the secret when code is valid for it (and the
	// enrolment code, when needed, is right).
	Finish(ctx context.Context, user claims.Identity, id, code, enrolmentCode string, now time.Time) (bool, error)
}

func (f *Flow) enrolStart(w http.ResponseWriter, r *http.Request, s *session) {
	ok, _ := f.o.Enrol.Allowed(ctx(r), *s.Identity, f.o.ClientAddr(r))
	if !ok {
		f.audit(r, Event{Name: "enrolment", User: s.Identity.Username, Reason: "not_allowed", RelyingParty: s.Pending.Party.ID})
		f.fail(w, r, http.StatusForbidden, "error.title", "error.no_factor", "user has no second factor and may not enrol here", nil)
		return
	}
	s.EnrolOffered = true
	if err := f.sessions.update(ctx(r), s); err != nil {
		f.storeFailed(w, r, err)
		return
	}
	http.Redirect(w, r, PathEnrol, http.StatusSeeOther)
}

// mayEnrol decides whether this sign-in may set up a factor: only one
// that the code step sent here because the user has no second factor at
// all, and only while that is still so. Otherwise a stolen password could
// add the thief's authenticator to an account that already has one. It
// has answered when it returns false.
func (f *Flow) mayEnrol(w http.ResponseWriter, r *http.Request, s *session) (needCode, ok bool) {
	if f.o.Enrol == nil || f.o.SecondFactor == nil {
		f.fail(w, r, http.StatusForbidden, "error.title", "error.no_factor", "enrolment not offered to this sign-in", nil)
		return false, false
	}
	ms, err := f.o.SecondFactor.Methods(ctx(r), *s.Identity)
	if err != nil {
		f.storeFailed(w, r, err)
		return false, false
	}
	if len(ms) > 0 || !s.EnrolOffered {
		// A user who has a factor is sent to it, never told they have
		// none; nothing is enrolled.
		if len(ms) > 0 {
			f.audit(r, Event{Name: "enrolment", User: s.Identity.Username, Reason: "has_factor", RelyingParty: s.Pending.Party.ID})
		}
		http.Redirect(w, r, PathCode, http.StatusSeeOther)
		return false, false
	}
	allowed, needCode := f.o.Enrol.Allowed(ctx(r), *s.Identity, f.o.ClientAddr(r))
	if !allowed {
		f.fail(w, r, http.StatusForbidden, "error.title", "error.no_factor", "enrolment not allowed", nil)
		return false, false
	}
	return needCode, true
}

// EnrolPage shows a new authenticator secret.
func (f *Flow) EnrolPage(w http.ResponseWriter, r *http.Request) {
	s, ok := f.firstDone(w, r)
	if !ok {
		return
	}
	needCode, ok := f.mayEnrol(w, r, s)
	if !ok {
		return
	}
	e, err := f.enrolment(r, s)
	if err != nil {
		f.storeFailed(w, r, err)
		return
	}
	f.showEnrol(w, r, s, e, needCode, http.StatusOK, "")
}

// enrolment returns the secret offered in this session, making one on first use.
func (f *Flow) enrolment(r *http.Request, s *session) (*Enrollment, error) {
	if s.EnrolID != "" {
		return f.o.Enrol.Present(ctx(r), *s.Identity, s.EnrolID)
	}
	e, err := f.o.Enrol.Begin(ctx(r), *s.Identity)
	if err != nil {
		return nil, err
	}
	s.EnrolID = e.ID
	return e, f.sessions.update(ctx(r), s)
}

func (f *Flow) showEnrol(w http.ResponseWriter, r *http.Request, s *session, e *Enrollment, needCode bool, status int, errKey string) {
	f.render(w, r, status, templates.PageEnrol, templates.EnrolData{
		Common: templates.Common{CSRF: s.CSRF, RequestID: f.o.RequestID(r)},
		Action: PathEnrol, ErrorKey: errKey,
		QRImage: template.URL(dataURI(e.QRPNG)), Secret: groupSecret(e.Secret), URI: e.URI,
		NeedEnrolmentCode: needCode,
	})
}

// EnrolSubmit saves the secret once the user proves a code from it; the
// sign-in then completes with both factors.
func (f *Flow) EnrolSubmit(w http.ResponseWriter, r *http.Request) {
	s, release, ok := f.secondStep(w, r, "enrolment")
	if !ok {
		return
	}
	defer release()
	if !checkCSRF(s, r) {
		f.fail(w, r, http.StatusForbidden, "error.title", "error.csrf", "CSRF token mismatch on enrolment", nil)
		return
	}
	needCode, ok := f.mayEnrol(w, r, s)
	if !ok {
		return
	}
	if s.EnrolID == "" {
		f.expired(w, r)
		return
	}
	now := f.o.Now()
	try := f.attempt(r, s.Identity.Username, now)
	res, allowed, err := f.reserve(r, try, CredentialCode)
	if err != nil {
		f.storeFailed(w, r, err)
		return
	}
	if !allowed {
		f.audit(r, Event{Name: "enrolment", User: s.Identity.Username, Reason: "locked_out", Factor: "totp", RelyingParty: s.Pending.Party.ID})
		f.fail(w, r, http.StatusForbidden, "error.title", "error.session_expired", "enrolment while locked out", nil)
		return
	}
	good, err := f.o.Enrol.Finish(ctx(r), *s.Identity, s.EnrolID, r.PostFormValue("code"), r.PostFormValue("enrolment_code"), now)
	if err != nil {
		if perr := res.Pass(ctx(r)); perr != nil {
			f.o.Logger.Error("throttle: attempt not given back", "err", perr, "request_id", f.o.RequestID(r))
		}
		f.storeFailed(w, r, err)
		return
	}
	if !good {
		// A wrong code here is a failed second factor like any other.
		if err := res.Fail(ctx(r)); err != nil {
			f.storeFailed(w, r, err)
			return
		}
		f.audit(r, Event{Name: "enrolment", User: s.Identity.Username, Reason: "bad_code", Factor: "totp", RelyingParty: s.Pending.Party.ID})
		if !f.wrongCode(w, r, s) {
			return
		}
		e, err := f.o.Enrol.Present(ctx(r), *s.Identity, s.EnrolID)
		if err != nil {
			f.storeFailed(w, r, err)
			return
		}
		f.showEnrol(w, r, s, e, needCode, http.StatusOK, "error.code")
		return
	}
	if err := res.Pass(ctx(r)); err != nil {
		f.storeFailed(w, r, err)
		return
	}
	f.audit(r, Event{Name: "enrolment", User: s.Identity.Username, Factor: "totp", RelyingParty: s.Pending.Party.ID})
	s.EnrolID = ""
	s.SecondAt, s.SecondKind = now, "totp"
	f.finish(w, r, s, true)
}

func dataURI(png []byte) string {
	if len(png) == 0 {
		return ""
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
}

// groupSecret writes a secret as base32 in groups of four for reading aloud
// or typing.
func groupSecret(secret []byte) string {
	enc := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
	var b strings.Builder
	for i, c := range enc {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}
