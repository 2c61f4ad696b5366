package login

import (
	"net/netip"
	"runtime"
	"sync"
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
	mu       sync.Mutex
	budget   int // places at once
	inUse    int
	queue    int // waiters at once, all addresses
	nWaiting int
	// Per address (IPv6 per /64): no address holds more than slotShare
	// places or has more than waitShare attempts waiting, so one address
	// cannot keep the budget to itself (an attacker's own account, whose
	// right password counts towards no limit, checked over and over);
	// another address's first sign-in still finds a place.
	slotShare, waitShare int
	addrs                map[string]*addrUse
	// changed is closed, and replaced, whenever a place is given back:
	// the waiters then look again.
	changed chan struct{}
	wait    time.Duration
	busy    atomic.Int64
	waiting atomic.Int64 // = nWaiting, readable without the lock
	after   func(time.Duration) <-chan time.Time
	// tarpit counts the busy answers waiting out the wait, at most
	// maxTarpit.
	tarpit atomic.Int64
}

// addrUse is what one address holds of the admission.
type addrUse struct{ slots, waiting int }

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
	queue = max(queue, 0)
	return &admission{budget: checks, queue: queue, wait: wait, after: after,
		slotShare: max(1, checks/2), waitShare: max(1, queue/4),
		addrs: map[string]*addrUse{}, changed: make(chan struct{})}
}

// inFlight is how many places are held now.
func (a *admission) inFlight() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.inUse
}

// use is addr's entry, made if needed (a.mu held).
func (a *admission) use(addr string) *addrUse {
	u := a.addrs[addr]
	if u == nil {
		u = &addrUse{}
		a.addrs[addr] = u
	}
	return u
}

// forget drops addr's entry once it holds nothing (a.mu held), so the map
// keeps only the addresses in the admission now.
func (a *admission) forget(addr string, u *addrUse) {
	if u.slots == 0 && u.waiting == 0 {
		delete(a.addrs, addr)
	}
}

// take gives addr a place if one is free and addr is below its share
// (a.mu held).
func (a *admission) take(u *addrUse) bool {
	if a.inUse >= a.budget || u.slots >= a.slotShare {
		return false
	}
	a.inUse++
	u.slots++
	return true
}

// enter takes a place for one check from addr (its admission key: see
// admissionKey), waiting at most the admission's wait, and only while
// fewer than its queue (and fewer than addr's share of it) wait. ok
// false: busy, nothing taken.
func (a *admission) enter(addr string) (release func(), ok bool) {
	a.mu.Lock()
	u := a.use(addr)
	if a.take(u) {
		a.mu.Unlock()
		return func() { a.leave(addr) }, true
	}
	if a.wait <= 0 {
		a.forget(addr, u)
		a.mu.Unlock()
		a.busy.Add(1)
		return nil, false
	}
	if a.nWaiting >= a.queue || u.waiting >= a.waitShare {
		a.forget(addr, u)
		a.mu.Unlock()
		a.busy.Add(1)
		if a.tarpit.Add(1) <= maxTarpit {
			<-a.after(a.wait)
		}
		a.tarpit.Add(-1)
		return nil, false
	}
	a.nWaiting++
	a.waiting.Add(1)
	u.waiting++
	timeout := a.after(a.wait)
	for {
		ch := a.changed
		a.mu.Unlock()
		select {
		case <-ch:
			a.mu.Lock()
			if a.take(u) {
				a.stopWaiting(u)
				a.mu.Unlock()
				return func() { a.leave(addr) }, true
			}
		case <-timeout:
			a.mu.Lock()
			a.stopWaiting(u)
			a.forget(addr, u)
			a.mu.Unlock()
			a.busy.Add(1)
			return nil, false
		}
	}
}

// stopWaiting counts a waiter out (a.mu held).
func (a *admission) stopWaiting(u *addrUse) {
	a.nWaiting--
	a.waiting.Add(-1)
	u.waiting--
}

func (a *admission) leave(addr string) {
	a.mu.Lock()
	a.inUse--
	if u := a.addrs[addr]; u != nil {
		u.slots--
		a.forget(addr, u)
	}
	close(a.changed)
	a.changed = make(chan struct{})
	a.mu.Unlock()
}

// admissionKey is the address an attempt's share is counted under: the
// address itself, or its /64 for IPv6 (one subscriber's prefix), as the
// lockout counts it.
func admissionKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			return p.String()
		}
	}
	return ip.String()
}
