package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// errReleased is a held context's cause after its release.
var errReleased = errors.New("store: lock released")

// releaseMaxBackoff caps the pause between two tries of a release that
// failed: the store is likely down, and the lease expires by itself.
const releaseMaxBackoff = time.Second

// holding is one held lease's renewal goroutine.
type holding struct {
	stopSleep context.CancelFunc
	done      chan struct{}
	until     time.Time // the lease's expiry as last written; read after done
}

// hold renews owner's lease, taken at taken, until stop; lose ends the
// held context when the lease may no longer be owner's.
func (l *Locker) hold(ctx context.Context, key, owner string, taken time.Time, lose context.CancelCauseFunc) *holding {
	// stopped only interrupts the pauses: a renewal in flight finishes
	// (bounded by its own timeout), so none can commit after the
	// release's delete.
	stopped, stopSleep := context.WithCancel(context.WithoutCancel(ctx))
	h := &holding{stopSleep: stopSleep, done: make(chan struct{}), until: taken.Add(l.o.TTL)}
	go func() {
		defer close(h.done)
		h.until = l.renew(stopped, context.WithoutCancel(ctx), key, owner, taken, lose)
	}()
	return h
}

// stop ends the renewal, waiting for one in flight, and returns the
// lease's expiry as last written.
func (h *holding) stop() time.Time {
	h.stopSleep()
	<-h.done
	return h.until
}

// renew keeps owner's lease alive every TTL/3 until stopped. A renewal is
// bounded by TTL/3; one that fails is retried after a short backoff while
// the lease lasts. It ends the held context (lose) and stops when a
// renewal finds the lease another's, when the lease expired before a
// renewal got through, or at MaxHold. It returns the lease's expiry.
func (l *Locker) renew(stopped, base context.Context, key, owner string, taken time.Time, lose context.CancelCauseFunc) (until time.Time) {
	until = taken.Add(l.o.TTL)
	capAt := taken.Add(l.o.MaxHold)
	wait, backoff, failing := l.o.TTL/3, l.o.MinBackoff, false
	for {
		if left := capAt.Sub(l.o.Now()); left < wait {
			wait = max(left, 0)
		}
		if wait > 0 && l.o.Sleep(stopped, wait) != nil || stopped.Err() != nil {
			return until
		}
		now := l.o.Now()
		if !now.Before(capAt) {
			l.o.Logger.Error("lock: held for its maximum time; renewal stopped", "max_hold", l.o.MaxHold)
			lose(fmt.Errorf("%w: held for longer than %v", ErrLeaseLost, l.o.MaxHold))
			return until
		}
		rctx, cancel := context.WithTimeout(base, l.o.TTL/3)
		ok, err := l.ls.TakeLease(rctx, key, owner, now, l.o.TTL)
		cancel()
		switch {
		case err == nil && ok:
			until, wait, backoff, failing = now.Add(l.o.TTL), l.o.TTL/3, l.o.MinBackoff, false
		case err == nil:
			l.o.Logger.Error("lock: lease lost to another holder before it was renewed", "ttl", l.o.TTL)
			lose(fmt.Errorf("%w: taken by another holder", ErrLeaseLost))
			return until
		default:
			left := until.Sub(l.o.Now())
			if left <= 0 {
				l.o.Logger.Error("lock: lease expired before it could be renewed", "ttl", l.o.TTL, "err", err)
				lose(fmt.Errorf("%w: expired unrenewed", ErrLeaseLost))
				return until
			}
			if !failing {
				l.o.Logger.Warn("lock: lease not renewed; retrying", "err", err)
				failing = true
			}
			wait = min(l.jitter(backoff), left)
			backoff = min(2*backoff, l.o.MaxBackoff)
		}
	}
}

// release frees owner's lease. When the store fails, it keeps trying in
// the background, backing off, until it succeeds or the lease expired by
// itself (at until): a lease left to its TTL blocks the user's sign-ins
// on every instance for that long.
func (l *Locker) release(ctx context.Context, key, owner string, until time.Time) {
	base := context.WithoutCancel(ctx)
	err := l.releaseOnce(base, key, owner)
	if err == nil {
		return
	}
	l.o.Logger.Warn("lock: lease not released; retrying in the background", "err", err)
	go l.retryRelease(base, key, owner, until)
}

func (l *Locker) releaseOnce(base context.Context, key, owner string) error {
	rctx, cancel := context.WithTimeout(base, releaseTimeout)
	defer cancel()
	return l.ls.ReleaseLease(rctx, key, owner)
}

func (l *Locker) retryRelease(base context.Context, key, owner string, until time.Time) {
	backoff := l.o.MinBackoff
	for {
		left := until.Sub(l.o.Now())
		if left <= 0 {
			l.o.Logger.Error("lock: lease not released; it expired by itself", "ttl", l.o.TTL)
			return
		}
		if err := l.o.Sleep(base, min(l.jitter(backoff), left)); err != nil {
			return
		}
		if l.releaseOnce(base, key, owner) == nil {
			return
		}
		backoff = min(2*backoff, releaseMaxBackoff)
	}
}
