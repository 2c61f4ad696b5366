package mfa

import (
	"context"
	"runtime"
	"strings"
	"sync/atomic"
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
// A nil *Limiter does not bound anything, for callers (tests, one-shot
// commands) that construct a checker without one.
type Limiter struct {
	slots chan struct{}
	// wide lets one waiter at a time gather more than one place: two that
	// each held part of what the other needs would wait for ever.
	wide    chan struct{}
	waiting atomic.Int64
}

// NewLimiter returns a Limiter that lets n derivations run at once; n <= 0
// means runtime.GOMAXPROCS(0), as many as can run in parallel anyway: a
// derivation is CPU-bound, so more at once only adds memory, not speed.
func NewLimiter(n int) *Limiter {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return &Limiter{slots: make(chan struct{}, n), wide: make(chan struct{}, 1)}
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

// Run calls f, which does one argon2id derivation with the package
// parameters (Derive, Hash), once a place is free. It returns ctx.Err()
// without calling f when ctx ends before a place is free, or is already
// done.
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

func (l *Limiter) run(ctx context.Context, n int, f func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if l == nil {
		f()
		return nil
	}
	if err := l.acquire(ctx, n); err != nil {
		return err
	}
	defer l.release(n)
	f()
	return nil
}

// acquire takes n places, or none when ctx ends first.
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
	if n > 1 {
		select {
		case l.wide <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
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
			return ctx.Err()
		}
	}
	return nil
}

func (l *Limiter) release(n int) {
	for range n {
		<-l.slots
	}
}
