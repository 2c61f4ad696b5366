package mfa

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Pacer answers for work it does not do: "spend time, not work". A check
// whose answer is already known (a refused attempt, a user without app
// passwords) must take about as long as one that is made, or the time
// tells them apart; doing the work to get that time is what let a spray
// take the CPU and the memory (issue 12). A Pacer keeps the durations of
// the last real checks of one kind (Observe) and, for a check it stands
// in for, sleeps one of them drawn at random (Pace): the same distribution
// in expectation, under load as at rest, since what it draws from was
// measured under the same load.
//
// A sleeping request holds only its goroutine and a timer, and at most
// MaxWaiters sleep at once: beyond that Pace returns at once (the caller
// answers the same page, only sooner), so a flood cannot grow the number
// of sleepers without bound. Before anything was observed there is nothing
// to draw, and Pace reports it: the caller then does the work once, which
// gives the first sample.
type Pacer struct {
	mu      sync.Mutex
	ring    []time.Duration
	n, next int

	floor, ceil time.Duration
	max         int64
	sleep       func(time.Duration)
	intN        func(int) int

	sleeping, paced, skipped, observed, padded atomic.Int64
}

// PacerOptions configure NewPacer; zero values mean the defaults.
type PacerOptions struct {
	// Samples is how many recent durations are kept (default 32): enough
	// to follow the load within seconds, few enough to be current.
	Samples int
	// Floor and Ceiling bound a duration drawn (defaults 1 ms and 5 s): a
	// sample of a check that failed fast (a directory error) or one stuck
	// behind a stalled directory must not set every paced answer.
	Floor, Ceiling time.Duration
	// MaxWaiters bounds the requests sleeping at once (default 1024: each
	// holds a goroutine and its connection's buffers, some KB).
	MaxWaiters int
	// Sleep and IntN replace time.Sleep and rand.IntN (tests: a sleep that
	// records, a fixed draw).
	Sleep func(time.Duration)
	IntN  func(int) int
}

// Pacer defaults.
const (
	DefaultPaceSamples    = 32
	DefaultPaceFloor      = time.Millisecond
	DefaultPaceCeiling    = 5 * time.Second
	DefaultPaceMaxWaiters = 1024
)

// NewPacer returns a Pacer with nothing observed yet.
func NewPacer(o PacerOptions) *Pacer {
	if o.Samples <= 0 {
		o.Samples = DefaultPaceSamples
	}
	if o.Floor <= 0 {
		o.Floor = DefaultPaceFloor
	}
	if o.Ceiling < o.Floor {
		o.Ceiling = max(o.Floor, DefaultPaceCeiling)
	}
	if o.MaxWaiters <= 0 {
		o.MaxWaiters = DefaultPaceMaxWaiters
	}
	if o.Sleep == nil {
		o.Sleep = time.Sleep
	}
	if o.IntN == nil {
		o.IntN = rand.IntN
	}
	return &Pacer{ring: make([]time.Duration, o.Samples), floor: o.Floor, ceil: o.Ceiling,
		max: int64(o.MaxWaiters), sleep: o.Sleep, intN: o.IntN}
}

// Observe records how long one real check took.
func (p *Pacer) Observe(d time.Duration) {
	p.observed.Add(1)
	p.mu.Lock()
	p.ring[p.next] = d
	p.next = (p.next + 1) % len(p.ring)
	p.n = min(p.n+1, len(p.ring))
	p.mu.Unlock()
}

// draw is one of the recent durations, bounded; false when none is known.
func (p *Pacer) draw() (time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == 0 {
		return 0, false
	}
	return min(max(p.ring[p.intN(p.n)], p.floor), p.ceil), true
}

// Pace sleeps as long as a recent real check took, drawn at random, and
// returns true; it returns false at once, having slept nothing, when no
// check was observed yet (the caller must do the work). With MaxWaiters
// already asleep it returns true at once. A context already ended
// returns at once too: nobody waits for the answer.
func (p *Pacer) Pace(ctx context.Context) bool { return p.padTo(ctx, 0, &p.paced) }

// PadTo makes an answer that came early take as long as a real check:
// it sleeps a drawn duration less elapsed (the time the answer has taken
// so far), nothing if that is not positive. false, at once: nothing was
// observed yet. Like Pace it sleeps only while fewer than MaxWaiters do.
func (p *Pacer) PadTo(ctx context.Context, elapsed time.Duration) bool {
	return p.padTo(ctx, elapsed, &p.padded)
}

// padTo sleeps a drawn duration less elapsed, counting the sleep in
// count; see Pace and PadTo.
func (p *Pacer) padTo(ctx context.Context, elapsed time.Duration, count *atomic.Int64) bool {
	d, ok := p.draw()
	if !ok {
		return false
	}
	rest := d - elapsed
	if rest <= 0 || ctx.Err() != nil {
		return true
	}
	if p.sleeping.Add(1) > p.max {
		p.sleeping.Add(-1)
		p.skipped.Add(1)
		return true
	}
	defer p.sleeping.Add(-1)
	count.Add(1)
	p.sleep(rest)
	return true
}

// Seeded reports whether anything was observed.
func (p *Pacer) Seeded() bool { return p.observed.Load() > 0 }

// PacerStats counts what a Pacer did, for monitoring and for tests.
type PacerStats struct {
	Observed int64 // real checks recorded
	Paced    int64 // answers delayed instead of checked
	Padded   int64 // early answers delayed to a check's duration (PadTo)
	Skipped  int64 // answers given at once: MaxWaiters were asleep
	Sleeping int64 // asleep right now
}

// Stats reports the counters (zero for a nil Pacer).
func (p *Pacer) Stats() PacerStats {
	if p == nil {
		return PacerStats{}
	}
	return PacerStats{Observed: p.observed.Load(), Paced: p.paced.Load(), Padded: p.padded.Load(), Skipped: p.skipped.Load(), Sleeping: p.sleeping.Load()}
}

// Pace stands in for a derivation with the package parameters whose
// result would decide nothing (no live app password to compare it with, a
// name that does not exist): it sleeps as long as a recent Run took,
// waiting for its place included, and takes no place and no memory. Only
// while nothing has been measured yet does it fall back to Spend (f runs
// if a place is free right now, else the last derivation's time is
// slept), which never queues either; a derivation it runs is measured, so
// the next Pace sleeps. Without that, a deployment where nobody has a
// live app password would never measure a Run and would derive for every
// wrong password. A nil Limiter runs f.
func (l *Limiter) Pace(ctx context.Context, f func()) {
	if l == nil {
		f()
		return
	}
	if l.pace.Pace(ctx) || ctx.Err() != nil {
		return
	}
	start := l.now()
	if l.tryRun(1, f) {
		l.pace.Observe(l.now().Sub(start))
		return
	}
	l.Spend(ctx, "", f)
}

// PaceStats reports what Pace did (zero for a nil Limiter).
func (l *Limiter) PaceStats() PacerStats {
	if l == nil {
		return PacerStats{}
	}
	return l.pace.Stats()
}
