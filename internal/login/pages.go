package login

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/claimgate/claimgate/templates"
)

const pageSignedOut = "signedout"

// render writes a page. The page is rendered before the status goes out,
// so a template failure is logged and becomes the generic 500 page (or a
// bare 500 when that fails too), never a half page under the first status.
func (f *Flow) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	buf, _ := f.pages.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer f.putPage(buf)
	err := f.o.Pages.Render(buf, page, data)
	if err != nil {
		f.o.Logger.Error("render failed", "page", page, "err", err, "request_id", f.o.RequestID(r))
		status = http.StatusInternalServerError
		buf.Reset()
		err = f.o.Pages.Render(buf, templates.PageError, templates.ErrorData{Common: templates.Common{RequestID: f.o.RequestID(r)},
			Status: status, TitleKey: "error.title", MessageKey: "error.internal"})
	}
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("Internal Server Error\n"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The whole page is here: its length spares the chunked encoding
	// (and the writes of its chunks).
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// maxPageBuffer bounds the buffers render keeps: a rare huge page must not
// pin its memory.
const maxPageBuffer = 64 << 10

// putPage keeps buf for the next page, emptied: its bytes (a CSRF token, a
// token) are overwritten by the next page, never read again. The response
// writer copied them before render returns.
func (f *Flow) putPage(buf *bytes.Buffer) {
	if buf.Cap() > maxPageBuffer {
		return
	}
	buf.Reset()
	f.pages.Put(buf)
}

// formError answers a form or query that could not be read: 413 when it
// was over its size cap, 400 otherwise.
func (f *Flow) formError(w http.ResponseWriter, r *http.Request, logMsg string, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		f.fail(w, r, http.StatusRequestEntityTooLarge, "error.title", "error.too_large", logMsg, err)
		return
	}
	f.fail(w, r, http.StatusBadRequest, "error.title", "error.bad_request", logMsg, err)
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
	f.tryLater(w, r, "directory unavailable", err)
}

// storeFailed answers a credential step whose state could not be read or
// written (failure counts, the session): the same "try again later" page
// whether the credential was right or wrong, so a failing store is no
// password oracle.
// A session that another request ended or changed meanwhile (sign-out,
// a second tab) is not a failure: this sign-in is over.
func (f *Flow) storeFailed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errSessionGone) {
		f.fail(w, r, http.StatusBadRequest, "error.title", "error.session_expired", "session ended or changed by another request", nil)
		return
	}
	f.tryLater(w, r, "store unavailable", err)
}

func (f *Flow) tryLater(w http.ResponseWriter, r *http.Request, logMsg string, err error) {
	w.Header().Set("Retry-After", "30")
	f.fail(w, r, http.StatusServiceUnavailable, "error.unavailable_title", "error.unavailable", logMsg, err)
}

func (f *Flow) expired(w http.ResponseWriter, r *http.Request) {
	f.fail(w, r, http.StatusBadRequest, "error.title", "error.session_expired", "no sign-in in progress", nil)
}

func (f *Flow) audit(r *http.Request, e Event) {
	e.ClientAddr = f.o.ClientAddr(r)
	e.UserAgent = r.UserAgent()
	e.RequestID = f.o.RequestID(r)
	if f.o.Auditor != nil {
		f.o.Auditor.Audit(ctx(r), e)
		return
	}
	f.o.Logger.Info("audit", "event", e.Name, "user", e.User, "client", e.ClientAddr, "reason", e.Reason, "relying_party", e.RelyingParty, "request_id", e.RequestID)
}

// ctx is the context for the work a request starts. It is not cancelled
// when the client goes away: a client that half-closes its connection
// after sending a password must not be able to skip the failure count, the
// audit record or the session write (the directory and store have their
// own timeouts).
func ctx(r *http.Request) context.Context { return context.WithoutCancel(r.Context()) }
