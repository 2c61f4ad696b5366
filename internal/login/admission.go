package login

import (
	"runtime"
	"sync/atomic"
	"time"
)

// admission bounds the password checks in flight for attempts from
// addresses that are not familiar for the user (lockout's notion: no whole
// sign-in from there lately). Those are a spray's attempts, and a real
// user's first sign-in from a new place; the real users' everyday
// attempts, from familiar addresses, never pass through it. A check is a
// bind at the directory and an argon2id: with more of them at once than
// there are cores, each only takes longer and holds its memory longer, so
// beyond the budget an attempt waits in a short queue, and beyond the
// queue or its wait it is answered "busy, try again in a moment" without
// any work. So an attacker gets at most the budget's share of the CPU,
// whatever the number of addresses, and the familiar users keep the rest.
//
// A busy answer always comes after the queue's wait, whether the queue
// was full or the wait ran out (up to maxTarpit such answers waiting at
// once; beyond that, at once): an attacker's client that waits for its
// answers then sends at most one attempt per wait and connection, instead
// of as many as the server can answer, and the two kinds of busy take the
// same time.
//
// The decision depends only on the load and on the address's familiarity,
// never on the account (existing, disabled, with app passwords or not),
// so the busy answer tells nothing about the account.
type admission struct {
	slots   chan struct{}
	queue   int64
	wait    time.Duration
	waiting atomic.Int64
	busy    atomic.Int64
	after   func(time.Duration) <-chan time.Time
	// tarpit counts the busy answers waiting out the wait, at most
	// maxTarpit.
	tarpit atomic.Int64
}

// maxTarpit bounds the busy answers held back at once: each holds a
// goroutine and its connection's buffers (some KB), so 1,024 of them stay
// within a few MB.
const maxTarpit = 1024

func newAdmission(checks, queue int, wait time.Duration, after func(time.Duration) <-chan time.Time) *admission {
	if checks <= 0 {
		checks = runtime.GOMAXPROCS(0)
	}
	if after == nil {
		after = time.After
	}
	return &admission{slots: make(chan struct{}, checks), queue: int64(max(queue, 0)), wait: wait, after: after}
}

// enter takes a place for one check, waiting at most the admission's wait
// and only while fewer than its queue wait. ok false: busy, nothing taken.
func (a *admission) enter() (release func(), ok bool) {
	select {
	case a.slots <- struct{}{}:
		return a.leave, true
	default:
	}
	if a.wait <= 0 {
		a.busy.Add(1)
		return nil, false
	}
	if a.waiting.Add(1) > a.queue {
		a.waiting.Add(-1)
		a.busy.Add(1)
		if a.tarpit.Add(1) <= maxTarpit {
			<-a.after(a.wait)
		}
		a.tarpit.Add(-1)
		return nil, false
	}
	defer a.waiting.Add(-1)
	select {
	case a.slots <- struct{}{}:
		return a.leave, true
	case <-a.after(a.wait):
		a.busy.Add(1)
		return nil, false
	}
}

func (a *admission) leave() { <-a.slots }
