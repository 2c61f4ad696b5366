package login

import (
	"net/http"

	"github.com/claimgate/claimgate/templates"
)

func (f *Flow) showChooser(w http.ResponseWriter, r *http.Request, s *session, ms []Method) {
	d := templates.ChooseData{Common: templates.Common{CSRF: s.CSRF, RequestID: f.o.RequestID(r)}, Action: PathPick}
	for _, m := range ms {
		d.Methods = append(d.Methods, templates.Method{ID: m.ID, Label: m.Label})
	}
	f.render(w, r, http.StatusOK, templates.PageChoose, d)
}

// ChoosePage lists the user's second factors.
func (f *Flow) ChoosePage(w http.ResponseWriter, r *http.Request) {
	s, ok := f.firstDone(w, r)
	if !ok || f.o.SecondFactor == nil {
		if ok {
			f.expired(w, r)
		}
		return
	}
	ms, _, ok := f.methods(w, r, s)
	if !ok {
		return
	}
	f.showChooser(w, r, s, ms)
}

// ChooseSubmit selects a second factor (and, for SMS, sends the code).
func (f *Flow) ChooseSubmit(w http.ResponseWriter, r *http.Request) {
	s, release, ok := f.secondStep(w, r, "method")
	if !ok {
		return
	}
	defer release()
	if !checkCSRF(s, r) || f.o.SecondFactor == nil {
		f.fail(w, r, http.StatusForbidden, "error.title", "error.csrf", "CSRF token mismatch on method choice", nil)
		return
	}
	ms, _, ok := f.methods(w, r, s)
	if !ok {
		return
	}
	want := r.PostFormValue("method")
	for i := range ms {
		if ms[i].ID == want {
			prepErr := f.o.SecondFactor.Prepare(ctx(r), *s.Identity, ms[i], f.o.Now())
			if prepErr != nil && !isWait(prepErr) {
				f.secondFactorDown(w, r, prepErr)
				return
			}
			s.Method = ms[i].ID
			if err := f.sessions.update(ctx(r), s); err != nil {
				f.storeFailed(w, r, err)
				return
			}
			if prepErr != nil {
				f.showWait(w, r, s, ms, &ms[i], prepErr)
				return
			}
			http.Redirect(w, r, PathCode, http.StatusSeeOther)
			return
		}
	}
	f.showChooser(w, r, s, ms)
}

// Resend sends a new SMS code for the chosen method.
func (f *Flow) Resend(w http.ResponseWriter, r *http.Request) {
	s, release, ok := f.secondStep(w, r, "resend")
	if !ok {
		return
	}
	defer release()
	if !checkCSRF(s, r) || f.o.SecondFactor == nil {
		f.fail(w, r, http.StatusForbidden, "error.title", "error.csrf", "CSRF token mismatch on resend", nil)
		return
	}
	ms, m, ok := f.methods(w, r, s)
	if !ok || m == nil || m.ID != s.Method {
		if ok {
			f.expired(w, r)
		}
		return
	}
	if err := f.o.SecondFactor.Prepare(ctx(r), *s.Identity, *m, f.o.Now()); err != nil {
		if isWait(err) {
			f.showWait(w, r, s, ms, m, err)
			return
		}
		f.secondFactorDown(w, r, err)
		return
	}
	f.showCode(w, r, s, ms, m, http.StatusOK, "")
}
