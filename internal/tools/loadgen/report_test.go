package main

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// goodReport is a run that keeps every budget and has no failure.
func goodReport() *report {
	p := phaseReport{SignIns: 10, PeakRSSMB: 30}
	return &report{
		Budgets:        budgets{IdleRSSMB: 60, LoadRSSMB: 200, SprayRSSMB: 200, ReadyMS: 300},
		StartToReadyMS: 40, IdleRSSMB: 20,
		Closed: []closedReport{{Users: 1, Claimgate: p, Directory: phaseReport{SignIns: 10}}},
		Open:   &p,
		Spray:  []sprayReport{{Attack: "none", Legit: p}, {Attack: "one address", Legit: p}},
	}
}

// TestFailures: each budget and each kind of functional failure fails the
// run on its own; a busy answer to a first sign-in does not.
func TestFailures(t *testing.T) {
	if f := goodReport().failures(); len(f) != 0 {
		t.Fatalf("a good run fails: %v", f)
	}
	busyFirst := newPhaseReport(sample{lat: []time.Duration{time.Millisecond}, errs: map[string]int{kindBusy: 3}}, usage{})
	r := goodReport()
	r.Spray[1].Legit = busyFirst
	if f := r.failures(); len(f) != 0 {
		t.Errorf("busy answers to first sign-ins fail the run: %v", f)
	}
	for what, c := range map[string]struct {
		breakIt func(r *report)
		want    string
	}{
		"idle RSS":      {func(r *report) { r.Budgets.IdleRSSMB = 1 }, "idle RSS"},
		"load RSS":      {func(r *report) { r.Budgets.LoadRSSMB = 1 }, "claimgate 1 users: claimgate peak RSS"},
		"open-loop RSS": {func(r *report) { r.Open.PeakRSSMB = 201 }, "open loop: claimgate peak RSS"},
		"spray RSS":     {func(r *report) { r.Budgets.SprayRSSMB = 1 }, "spray: one address: claimgate peak RSS"},
		"ready":         {func(r *report) { r.Budgets.ReadyMS = 1 }, "start to ready"},
		"error":         {func(r *report) { r.Closed[0].Claimgate.nerr = 1 }, "claimgate 1 users: 1 errors"},
		"busy familiar": {func(r *report) {
			r.Spray[1].Legit = newPhaseReport(sample{lat: []time.Duration{1}, errs: map[string]int{kindBusyFamiliar: 1}}, usage{})
		}, "spray: one address: 1 errors"},
		"directory":  {func(r *report) { r.Closed[0].Directory.nerr = 2 }, "directory 1 users: 2 errors"},
		"no sign-in": {func(r *report) { r.Spray[0].Legit.SignIns = 0 }, "spray: none: no sign-in"},
		"accepted":   {func(r *report) { r.Spray[1].AttackErrors = map[string]int{kindAccepted: 1} }, "wrong passwords accepted"},
	} {
		r := goodReport()
		p := *r.Open
		r.Open = &p
		c.breakIt(r)
		f := r.failures()
		if len(f) == 0 || !strings.Contains(strings.Join(f, "\n"), c.want) {
			t.Errorf("%s: failures %q, want one with %q", what, f, c.want)
		}
	}
}

// TestErrorKinds: an answer's step, status and page text reach the
// report, and the busy page is told from other 503s.
func TestErrorKinds(t *testing.T) {
	busyPage := page{status: 503, retryAfter: "5", body: `<title>Busy – claimgate</title><p class="error" role="alert">The service is busy, try again in a moment.</p>`}
	down := page{status: 503, retryAfter: "30", body: `<title>Try again later – claimgate</title><p class="error" role="alert">Sign-in is unavailable &amp; will be back.</p>`}
	if !busyPage.busy() || down.busy() {
		t.Fatalf("busy(): busy page %v, store-down page %v", busyPage.busy(), down.busy())
	}
	if g := down.gist(); g != "Try again later – claimgate: Sign-in is unavailable & will be back." {
		t.Errorf("gist = %q", g)
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{answerErr("code", down, "status %d", 503), "code 503"},
		{answerErr("password", busyPage, "status %d", 503), kindBusy},
		{&signInError{step: "password", err: errors.New("x"), status: 503, busy: true, familiar: true}, kindBusyFamiliar},
		{&signInError{step: "wsignin", err: errors.New("EOF")}, "wsignin"},
		{errors.New("plain"), "other"},
	} {
		if got := errKind(c.err); got != c.want {
			t.Errorf("errKind(%v) = %q, want %q", c.err, got, c.want)
		}
	}
	if m := answerErr("code", down, "status %d", 503).Error(); !strings.Contains(m, "Sign-in is unavailable") {
		t.Errorf("message %q lacks the page's text", m)
	}
	// The first maxWhy messages of a kind are kept, and all are counted.
	s := sample{errs: map[string]int{}, why: map[string][]string{}}
	for range 5 {
		s.fail(answerErr("code", down, "status %d", 503))
	}
	if s.errs["code 503"] != 5 || len(s.why["code 503"]) != maxWhy {
		t.Errorf("5 errors: counted %d, kept %d messages", s.errs["code 503"], len(s.why["code 503"]))
	}
}
