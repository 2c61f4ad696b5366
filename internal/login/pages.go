package login

import (
	"context"
	"net/http"

	"github.com/claimgate/claimgate/templates"
)

const pageSignedOut = "signedout"

// render writes a page; a template failure is logged and becomes a bare
// 500 (the page itself could not be trusted to render).
func (f *Flow) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := f.o.Pages.Render(w, page, data); err != nil {
		f.o.Logger.Error("render failed", "page", page, "err", err, "request_id", f.o.RequestID(r))
	}
}

func (f *Flow) page(w http.ResponseWriter, r *http.Request, status int, which string) {
	switch which {
	case pageSignedOut:
		f.render(w, r, status, templates.PageSignedOut, templates.InfoData{
			Common: templates.Common{RequestID: f.o.RequestID(r)}, TitleKey: "signedout.title", MessageKey: "signedout.message"})
	}
}

// fail shows a fixed, generic message and logs the detail.
func (f *Flow) fail(w http.ResponseWriter, r *http.Request, status int, titleKey, msgKey, logMsg string, err error) {
	level := f.o.Logger.Info
	if status >= 500 {
		level = f.o.Logger.Error
	}
	attrs := []any{"status", status, "request_id", f.o.RequestID(r), "path", r.URL.Path}
	if err != nil {
		attrs = append(attrs, "err", err.Error())
	}
	level(logMsg, attrs...)
	f.render(w, r, status, templates.PageError, templates.ErrorData{
		Common: templates.Common{RequestID: f.o.RequestID(r)}, Status: status, TitleKey: titleKey, MessageKey: msgKey})
}

func (f *Flow) internal(w http.ResponseWriter, r *http.Request, err error) {
	f.fail(w, r, http.StatusInternalServerError, "error.title", "error.internal", "internal error", err)
}

func (f *Flow) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	w.Header().Set("Retry-After", "30")
	f.fail(w, r, http.StatusServiceUnavailable, "error.unavailable_title", "error.unavailable", "directory unavailable", err)
}

func (f *Flow) expired(w http.ResponseWriter, r *http.Request) {
	f.fail(w, r, http.StatusBadRequest, "error.title", "error.session_expired", "no sign-in in progress", nil)
}

func (f *Flow) audit(r *http.Request, e Event) {
	e.ClientAddr = f.o.ClientAddr(r)
	e.UserAgent = r.UserAgent()
	e.RequestID = f.o.RequestID(r)
	if f.o.Auditor != nil {
		f.o.Auditor.Audit(r.Context(), e)
		return
	}
	f.o.Logger.Info("audit", "event", e.Name, "user", e.User, "client", e.ClientAddr, "reason", e.Reason, "relying_party", e.RelyingParty, "request_id", e.RequestID)
}

// ctx is a short name used by handlers.
func ctx(r *http.Request) context.Context { return r.Context() }
