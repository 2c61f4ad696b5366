package login_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/login"
)

// smsLimited adds an SMS method whose code may not be sent again yet (as
// factors.Verifier answers within the resend interval or past the send
// limit).
type smsLimited struct {
	login.SecondFactor
	wait time.Duration
}

var smsMethod = login.Method{ID: "sms-1", Kind: "sms", Label: "a text to +41 •••• 42", Digits: 6}

func (s smsLimited) Methods(ctx context.Context, id claims.Identity) ([]login.Method, error) {
	ms, err := s.SecondFactor.Methods(ctx, id)
	return append(ms, smsMethod), err
}

func (s smsLimited) Prepare(ctx context.Context, id claims.Identity, m login.Method, now time.Time) error {
	if m.Kind == "sms" {
		return &login.WaitError{Wait: s.wait, Reason: "resend_interval"}
	}
	return s.SecondFactor.Prepare(ctx, id, m, now)
}

// TestSMSLimitSaysWait: choosing SMS while no code may be sent shows the
// code page with the resend message and the wait, and logs a limit at
// INFO, not a directory outage.
func TestSMSLimitSaysWait(t *testing.T) {
	e := newEnv(t, setup{second: func(v login.SecondFactor) login.SecondFactor { return smsLimited{v, 45 * time.Second} }})
	b := e.browser()
	b.get(signInURL(realm, "x")).wantRedirect(t, login.PathLogin)
	b.password("alice", alicePassword).wantRedirect(t, login.PathCode)
	chooser := b.get(login.PathCode)
	chooser.wantStatus(t, http.StatusOK)
	p := b.post(login.PathPick, url.Values{"csrf": {chooser.csrf(t)}, "method": {smsMethod.ID}})
	p.wantStatus(t, http.StatusTooManyRequests)
	wantMessage(t, p, "error.resend_limit")
	wantMessage(t, p, "code.wait")
	if !strings.Contains(p.doc.textContent(), "45 s") {
		t.Errorf("the page does not say how long to wait:\n%s", p.body)
	}
	if strings.Contains(p.body, e.msg("error.unavailable")) {
		t.Error("a send limit was shown as the directory being unreachable")
	}
	log := e.log.String()
	if strings.Contains(log, "directory unavailable") || strings.Contains(log, "level=ERROR") {
		t.Errorf("a send limit was logged as an outage:\n%s", log)
	}
	if !strings.Contains(log, "limit reached") {
		t.Errorf("the limit is not in the log:\n%s", log)
	}
	// The chosen method stays chosen: the code page takes the last code
	// sent, without trying to send another.
	again := b.get(login.PathCode)
	again.wantStatus(t, http.StatusOK)
	if !strings.Contains(again.doc.textContent(), smsMethod.Label) {
		t.Errorf("the code page is not for the SMS method:\n%s", again.body)
	}
}
