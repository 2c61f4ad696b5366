package mfa

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
)

// Limiter bounds how much memory argon2id derivations hold at once. Each
// derivation with the package parameters allocates Argon2Memory KiB
// (19 MiB) for as long as it runs, so a password spray checked without a
// bound grows memory with the number of requests in flight (issue 12
// measured 257-501 MB). A Limiter has Cap() places of Argon2Memory KiB
// each; a derivation takes one place, and a check against a stored hash
// made with more memory takes ceil(m / Argon2Memory) places (RunFor), at
// most all of them. So derivations hold at most MemoryBudget() bytes at
// once (38 MiB for a capacity of 2), whatever the flood and whatever the
// hashes, except that a single hash bigger than the whole budget runs
// alone and holds its own size (CheckPassword refuses more than 1 GiB).
// The Go heap may grow to about twice the live amount between collections
// (GOGC=100).
//
// A request that cannot get its places waits; when its context ends first
// it gives up its place in the queue and the places it had gathered, and
// Run returns the context's error, so a client that went away does not
// spend memory on an answer nobody reads. Capacity is the caller's choice;
// one Limiter is shared by every check of a process, across
// configuration reloads (it is a value passed in, not a package global).
//
// The sign-in flow's contexts never end (a check runs to its end even when
// the client leaves), so a wait also ends after MaxWait (WithMaxWait,
// DefaultMaxWait): Run then returns ErrBusy and the caller answers "try
// again later" rather than queueing without bound behind a flood.
//
// Decoy checks (Spend) never queue: a decoy derives only when its places
// are free right now, and otherwise sleeps as long as the last real
// derivation took, so a flood of refused guesses costs the attacker the
// same time per answer but takes no place from an admitted check.
//
// A nil *Limiter does not bound anything, for callers (tests, one-shot
// commands) that construct a checker without one.
type Limiter struct {
	slots chan struct{}
	// wide lets one waiter at a time gather more than one place: two that
	// each held part of what the other needs would wait for ever.
	wide    chan struct{}
	waiting atomic.Int64
	maxWait time.Duration
	now     func() time.Time
	sleep   func(time.Duration)
	// took[n] is how long the last derivation that took n places ran, in
	// nanoseconds: what a decoy that finds no free place sleeps.
	took     []atomic.Int64
	ran      atomic.Int64
	sleeping atomic.Int64
	slept    atomic.Int64
	// pace stands in for derivations that would decide nothing (Pace):
	// it draws from how long recent one-place Runs took, waiting included.
	pace *Pacer
}

// DefaultMaxWait is how long a check waits for its places unless
// WithMaxWait says otherwise: far above a derivation's ~50 ms, so only a
// Limiter that stays full for seconds refuses.
const DefaultMaxWait = 10 * time.Second

// ErrBusy is Run's error when no place came free within MaxWait.
var ErrBusy = errors.New("mfa: password checks busy, try again later")

// LimiterOption configures NewLimiter.
type LimiterOption func(*Limiter)

// WithMaxWait bounds how long a check waits for its places; d <= 0 keeps
// DefaultMaxWait.
func WithMaxWait(d time.Duration) LimiterOption {
	return func(l *Limiter) {
		if d > 0 {
			l.maxWait = d
		}
	}
}

// WithClock replaces the clock that measures derivations and the sleep a
// decoy spends instead of one (tests: a sleep that waits for the test).
func WithClock(now func() time.Time, sleep func(time.Duration)) LimiterOption {
	return func(l *Limiter) { l.now, l.sleep = now, sleep }
}

// NewLimiter returns a Limiter that lets n derivations run at once; n <= 0
// means runtime.GOMAXPROCS(0), as many as can run in parallel anyway: a
// derivation is CPU-bound, so more at once only adds memory, not speed.
func NewLimiter(n int, opts ...LimiterOption) *Limiter {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	l := &Limiter{slots: make(chan struct{}, n), wide: make(chan struct{}, 1),
		maxWait: DefaultMaxWait, now: time.Now, sleep: time.Sleep,
		took: make([]atomic.Int64, n+1)}
	for _, o := range opts {
		o(l)
	}
	l.pace = NewPacer(PacerOptions{Sleep: l.sleep})
	return l
}

// Cap is how many derivations with the package parameters may run at once
// (0 for a nil Limiter, which does not bound).
func (l *Limiter) Cap() int {
	if l == nil {
		return 0
	}
	return cap(l.slots)
}

// MemoryBudget is the most memory, in bytes, that derivations hold at once
// under l: Cap() × Argon2Memory KiB (see Limiter for the one exception).
func (l *Limiter) MemoryBudget() int64 {
	return int64(l.Cap()) * Argon2Memory * 1024
}

// Waiting is how many calls are waiting for places right now, for
// monitoring a spray (and for tests that must know a check is queued).
func (l *Limiter) Waiting() int {
	if l == nil {
		return 0
	}
	return int(l.waiting.Load())
}

// LimiterStats counts what a Limiter did, for monitoring and for tests
// that must know where a check is.
type LimiterStats struct {
	Ran      int64 // derivations run under a place (checks and decoys)
	Sleeping int64 // decoys sleeping instead of deriving right now
	Slept    int64 // decoys that slept instead of deriving, in all
}

// Stats reports the counters (zero for a nil Limiter).
func (l *Limiter) Stats() LimiterStats {
	if l == nil {
		return LimiterStats{}
	}
	return LimiterStats{Ran: l.ran.Load(), Sleeping: l.sleeping.Load(), Slept: l.slept.Load()}
}

// Run calls f, which does one argon2id derivation with the package
// parameters (Derive, Hash), once a place is free. It returns ctx.Err()
// without calling f when ctx ends before a place is free, or is already
// done, and ErrBusy when no place came free within MaxWait.
func (l *Limiter) Run(ctx context.Context, f func()) error {
	return l.run(ctx, 1, f)
}

// RunFor calls f, which checks a password against the stored hash encoded
// (CheckPassword), once the places that hash's memory needs are free:
// ceil(m / Argon2Memory) for an argon2id hash of m KiB, at most Cap(); one
// for bcrypt (4 KiB, but CPU-bound like a derivation) and for a hash
// CheckPassword will refuse without deriving. Errors are Run's.
func (l *Limiter) RunFor(ctx context.Context, encoded string, f func()) error {
	return l.run(ctx, l.places(encoded), f)
}

// places is how many places checking against encoded takes under l.
func (l *Limiter) places(encoded string) int {
	m := uint64(Argon2Memory)
	if strings.HasPrefix(encoded, "$argon2id$") {
		if h, err := parseArgon2(encoded); err == nil {
			m = uint64(h.m)
		}
	}
	n := int((m + Argon2Memory - 1) / Argon2Memory)
	return max(1, min(n, l.Cap()))
}

// TryRun calls f, like Run, only when a place is free right now; it never
// waits. It reports whether f ran.
func (l *Limiter) TryRun(f func()) bool {
	return l.tryRun(1, f)
}

// TryRunFor is TryRun for a check against encoded (see RunFor).
func (l *Limiter) TryRunFor(encoded string, f func()) bool {
	return l.tryRun(l.places(encoded), f)
}

// Spend is for a decoy check against encoded (its f decides nothing): it
// runs f when the places are free right now (TryRunFor), and otherwise
// sleeps as long as the last real derivation of that size took, without
// waiting for a place. So a decoy's answer takes about what a check's
// does, and a flood of decoys queues nothing before the checks that
// count. Before any derivation has run there is nothing to sleep. A
// nil Limiter runs f. An empty encoded stands for a derivation with the
// package parameters (Run's one place).
func (l *Limiter) Spend(ctx context.Context, encoded string, f func()) {
	if ctx.Err() != nil {
		return
	}
	if l == nil {
		f()
		return
	}
	n := l.places(encoded)
	if l.tryRun(n, f) {
		return
	}
	d := time.Duration(l.took[n].Load())
	if d == 0 {
		d = time.Duration(l.took[1].Load()) * time.Duration(n)
	}
	l.slept.Add(1)
	l.sleeping.Add(1)
	defer l.sleeping.Add(-1)
	l.sleep(d)
}

func (l *Limiter) tryRun(n int, f func()) bool {
	if l == nil {
		f()
		return true
	}
	if !l.tryAcquire(n) {
		return false
	}
	defer l.release(n)
	l.timed(n, f)
	return true
}

// tryAcquire takes n places if they are all free now, or none.
func (l *Limiter) tryAcquire(n int) bool {
	if n > 1 {
		select {
		case l.wide <- struct{}{}:
		default:
			return false
		}
		defer func() { <-l.wide }()
	}
	for got := range n {
		select {
		case l.slots <- struct{}{}:
		default:
			l.release(got)
			return false
		}
	}
	return true
}

// timed runs f under n places and keeps how long it took, for Spend.
func (l *Limiter) timed(n int, f func()) {
	start := l.now()
	f()
	l.ran.Add(1)
	l.took[n].Store(int64(max(1, l.now().Sub(start))))
}

func (l *Limiter) run(ctx context.Context, n int, f func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if l == nil {
		f()
		return nil
	}
	start := l.now()
	if err := l.acquire(ctx, n); err != nil {
		return err
	}
	defer l.release(n)
	l.timed(n, f)
	if n == 1 {
		// What a caller of a check waits for, the queue included: a
		// paced answer must take as long under a flood as a real one.
		l.pace.Observe(l.now().Sub(start))
	}
	return nil
}

// acquire takes n places, or none when ctx ends or MaxWait passes first.
func (l *Limiter) acquire(ctx context.Context, n int) error {
	if n == 1 {
		select {
		case l.slots <- struct{}{}:
			return nil
		default:
		}
	}
	l.waiting.Add(1)
	defer l.waiting.Add(-1)
	ctx, cancel := context.WithTimeoutCause(ctx, l.maxWait, ErrBusy)
	defer cancel()
	if n > 1 {
		select {
		case l.wide <- struct{}{}:
		case <-ctx.Done():
			return waitErr(ctx)
		}
		// Places gathered are held while waiting for the rest: single
		// derivations still pass through the others, and none can take
		// one this waiter already has, so it cannot starve.
		defer func() { <-l.wide }()
	}
	for got := range n {
		select {
		case l.slots <- struct{}{}:
		case <-ctx.Done():
			l.release(got)
			return waitErr(ctx)
		}
	}
	return nil
}

// waitErr is the caller's context error, or ErrBusy when only MaxWait
// ended the wait.
func waitErr(ctx context.Context) error {
	if errors.Is(context.Cause(ctx), ErrBusy) {
		return ErrBusy
	}
	return ctx.Err()
}

func (l *Limiter) release(n int) {
	for range n {
		<-l.slots
	}
}
