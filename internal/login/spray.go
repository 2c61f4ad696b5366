package login

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/templates"
)

// SprayGuard keeps a password spray from slowing the real users (issue
// 12): it makes a refused attempt cost time, not work, and bounds the
// checks from unfamiliar addresses.
//
// Refused (the throttle locked the user, the address or the pair): the
// answer is the wrong-password page after a delay drawn from how long the
// last real rejected checks took (an mfa.Pacer), where it used to spend a
// decoy directory search and an argon2id. No directory call, no
// derivation, no store write beyond the throttle's reads and the audit
// record (batched): a flood of refused guesses costs a sleeping goroutine
// each, at most PacerOptions.MaxWaiters of them (default 1,024), beyond
// which the same page comes at once.
//
// From an address not familiar for the user (Familiarity), before it is
// reserved: the attempt takes a place in a budget of Checks at once, with
// a queue of Queue waiting at most Wait; beyond that the answer is 503
// "busy, try again in a moment" with Retry-After, after Wait (see
// admission), nothing reserved, checked or written but the audit record.
// A refused attempt gives its place back before its delay. docs/security.md
// ("Password spraying") weighs what that costs a real user's first
// sign-in from a new place.
//
// A Throttle offers one by implementing Guarded (app.Build's does); one
// that does not keeps the older decoy work for refused attempts, and no
// admission (tests).
type SprayGuard struct {
	pace       *mfa.Pacer
	admit      *admission
	retryAfter time.Duration
	now        func() time.Time
}

// SprayOptions configure NewSprayGuard; zero values mean the defaults.
type SprayOptions struct {
	// Checks is the budget of checks in flight from unfamiliar addresses;
	// <= 0 means runtime.GOMAXPROCS(0).
	Checks int
	// Queue is how many more may wait for a place (0: none wait), Wait
	// how long at most.
	Queue int
	Wait  time.Duration
	// RetryAfter is what the busy answer's Retry-After says (default 5 s).
	RetryAfter time.Duration
	// Pacer configures the delays of refused attempts.
	Pacer mfa.PacerOptions
	// Paced, when set, is the Pacer to use instead of a new one (Pacer is
	// then ignored): serve keeps one across configuration reloads, so a
	// reload does not forget what real checks cost and fall back to the
	// decoy work for refused attempts until the next one is measured.
	Paced *mfa.Pacer
	// Now measures the real checks (default time.Now: a monotonic reading;
	// not the flow's clock, which tests stop).
	Now func() time.Time
	// After replaces time.After for the queue's wait (tests).
	After func(time.Duration) <-chan time.Time
}

// DefaultSprayRetryAfter is the busy answer's Retry-After by default.
const DefaultSprayRetryAfter = 5 * time.Second

// NewSprayGuard returns a guard with nothing measured yet.
func NewSprayGuard(o SprayOptions) *SprayGuard {
	if o.RetryAfter <= 0 {
		o.RetryAfter = DefaultSprayRetryAfter
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	pace := o.Paced
	if pace == nil {
		pace = mfa.NewPacer(o.Pacer)
	}
	return &SprayGuard{pace: pace, admit: newAdmission(o.Checks, o.Queue, o.Wait, o.After),
		retryAfter: o.RetryAfter, now: o.Now}
}

// Guarded is implemented by a Throttle that brings a SprayGuard.
type Guarded interface {
	SprayGuard() *SprayGuard
}

// SprayStats counts what a SprayGuard did, for the metrics and for tests.
type SprayStats struct {
	Refused  mfa.PacerStats // refused attempts paced
	Busy     int64          // attempts answered busy by the admission
	InFlight int            // unfamiliar checks holding a place now
	Waiting  int64          // unfamiliar checks waiting for one now
	Tarpit   int64          // busy answers waiting out the queue's wait now
}

// Stats reports the counters (zero for a nil guard).
func (g *SprayGuard) Stats() SprayStats {
	if g == nil {
		return SprayStats{}
	}
	return SprayStats{Refused: g.pace.Stats(), Busy: g.admit.busy.Load(), InFlight: g.admit.inFlight(), Waiting: g.admit.waiting.Load(),
		Tarpit: g.admit.tarpit.Load()}
}

// guard is the flow's SprayGuard, nil when the throttle brings none.
func (f *Flow) guard() *SprayGuard {
	if g, ok := f.o.Throttle.(Guarded); ok {
		return g.SprayGuard()
	}
	return nil
}

// Familiarity is implemented by a Throttle that can say, before anything
// is reserved, whether addr is familiar for user (a whole sign-in from it
// lately): the admission is decided on it, before the attempt costs a
// write. A Guarded throttle without it has every address unfamiliar.
type Familiarity interface {
	Familiar(ctx context.Context, user, addr string, now time.Time) (bool, error)
}

// refused spends a refused attempt's time. With a guard that has measured
// a real check it only waits; otherwise (no guard, or nothing measured
// yet, as right after a restart with locks in the store) it spends the
// decoy work, as before.
func (f *Flow) refused(r *http.Request, g *SprayGuard, username, password string) {
	if g != nil && g.pace.Pace(ctx(r)) {
		return
	}
	f.spendCheck(r, username, password)
}

// rejected ends a rejected check that began at start (before its
// reservation). full: the account exists and its password was compared
// (a wrong password), the longest path: its duration is recorded, for the
// refused attempts and the early answers to wait as long. Otherwise the
// answer came early (a name that matches nothing, an account AD refuses
// before any bind: disabled, expired, locked there) and it waits until a
// recorded duration has passed since start, so the time does not tell
// which names are enabled accounts. Until a full check was recorded, an
// early one is recorded instead (something must be, or refused attempts
// would spend the decoy work).
func (g *SprayGuard) rejected(ctx context.Context, start time.Time, full bool) {
	if g == nil {
		return
	}
	took := g.now().Sub(start)
	if full || !g.pace.Seeded() {
		g.pace.Observe(took)
		return
	}
	g.pace.PadTo(ctx, took)
}

// start is when a check begins, for checked (zero without a guard).
func (g *SprayGuard) start() time.Time {
	if g == nil {
		return time.Time{}
	}
	return g.now()
}

// busy answers an attempt the admission refused: 503 with Retry-After, a
// page that says to try again in a moment, logged at debug only (a flood
// of them must not flood the log; the audit record and the metrics count
// them).
func (f *Flow) busy(w http.ResponseWriter, r *http.Request, g *SprayGuard) {
	f.o.Logger.Debug("password checks busy: attempt from an unfamiliar address not admitted", "request_id", f.o.RequestID(r))
	w.Header().Set("Retry-After", strconv.Itoa(int((g.retryAfter+time.Second-1)/time.Second)))
	f.render(w, r, http.StatusServiceUnavailable, templates.PageError, templates.ErrorData{
		Common: templates.Common{RequestID: f.o.RequestID(r)}, Status: http.StatusServiceUnavailable,
		TitleKey: "error.busy_title", MessageKey: "error.busy"})
}

// admit takes the admission's place for an attempt from an address not
// familiar for the user, before the throttle reserves it, so an attempt
// answered busy has cost one read and no write. It is decided on the
// load and the address alone, before the lock state or the account is
// looked at: a busy answer tells neither. leave gives the place back (once;
// later calls do nothing): a refused attempt leaves before its paced
// delay, a checked one after its check. Without a guard, or from a
// familiar address, leave is a no-op. err: familiarity could not be read.
func (f *Flow) admit(r *http.Request, g *SprayGuard, a attempt) (leave func(), ok bool, err error) {
	none := func() {}
	if g == nil {
		return none, true, nil
	}
	if fam, isF := f.o.Throttle.(Familiarity); isF {
		known, err := fam.Familiar(ctx(r), a.key, a.addr, a.now)
		if err != nil {
			return nil, false, err
		}
		if known {
			return none, true, nil
		}
	}
	release, ok := g.admit.enter(admissionKey(a.addr))
	if !ok {
		return nil, false, nil
	}
	return sync.OnceFunc(release), true, nil
}
