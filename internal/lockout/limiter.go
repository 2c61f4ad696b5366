package lockout

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

// Counters is the slice of the store the policy needs (store.LockStore
// satisfies it).
type Counters interface {
	RecordFailure(ctx context.Context, key string, now time.Time, window time.Duration) (int, error)
	TakeAttempts(ctx context.Context, cs []store.AttemptCounter, now time.Time, window time.Duration) ([]int, int, error)
	ReturnAttempts(ctx context.Context, keys []string, at time.Time) error
	KeepAttempts(ctx context.Context, keys []string, now time.Time, window time.Duration) error
	ResetFailures(ctx context.Context, key string) error
	SetLock(ctx context.Context, key string, until time.Time, level int) error
	Lock(ctx context.Context, key string) (until time.Time, level int, err error)
	LockRecords(ctx context.Context, keys []string) ([]store.LockEntry, error)
	Unlock(ctx context.Context, key string) error
	UnlockPrefix(ctx context.Context, prefix string) (int64, error)
	RecordSuccess(ctx context.Context, forget, mark string, markUntil time.Time) error
}

// Kind is what a credential is: the user-wide limits differ for passwords
// and one-time codes.
type Kind string

// The credential kinds.
const (
	KindPassword Kind = "password" // domain or app password
	KindCode     Kind = "code"     // one-time code, enrolment code
)

// Limiter applies a Policy over a Counters store. It holds no state of its
// own, so several processes sharing the store agree.
type Limiter struct {
	c Counters
	p Policy
}

// New validates p and returns a Limiter.
func New(c Counters, p Policy) (*Limiter, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("lockout policy: %w", err)
	}
	return &Limiter{c: c, p: p}, nil
}

// Decision is the answer of Reserve.
type Decision struct {
	Allowed bool
	// RetryAfter is how long until every lock that applies has ended (for
	// the log; the user sees the same page as for a wrong password). It is
	// zero when a limit was reached by attempts still being checked.
	RetryAfter time.Duration
	// Scopes lists the locks or limits that refused the attempt.
	Scopes []Scope
}

// Reservation is one attempt counted before its credential is checked.
// Settle it exactly once: Fail for a wrong credential, Pass for a right one.
type Reservation struct {
	user     string
	addr     netip.Addr
	kind     Kind
	now      time.Time
	familiar bool
	held     []held
}

// held is one counter the reservation took a place in.
type held struct {
	scope Scope
	key   string // the counter
	lock  string // the lock it leads to
	count int    // the count including this attempt
	limit int
	// settled: the attempt is not counted while it is checked, only when
	// it fails (Fail counts it then); Reserve only compared the count
	// with the limit. See Reserve.
	settled bool
	// flight: the count is of attempts in flight only, given back when
	// the attempt is settled either way.
	flight bool
}

// Familiar reports whether the address was familiar for the user (a full
// sign-in succeeded from it within KnownAddressFor) when reserved.
func (r *Reservation) Familiar() bool { return r.familiar }

// Reserve asks whether user may try a credential of kind from addr at now
// and, if so, counts the attempt at once, before the caller checks it: the
// count and the limit are compared in one store operation, so no burst of
// parallel attempts can exceed a limit. When refused, nothing was counted
// and the caller must check nothing.
func (l *Limiter) Reserve(ctx context.Context, user string, addr netip.Addr, kind Kind, now time.Time) (*Reservation, Decision, error) {
	// One read for every lock that may refuse the attempt and for the
	// familiar-address mark: the user-wide lock applies only from an
	// unfamiliar address, but reading it with the others costs nothing.
	keys := []string{pairKey(user, addr), addrLockKey(addr), userKey(user)}
	scopes := []Scope{ScopePair, ScopeAddr, ScopeUser}
	if l.p.KnownAddressFor > 0 {
		keys = append(keys, knownKey(user, addr))
	}
	recs, err := l.c.LockRecords(ctx, keys)
	if err != nil {
		return nil, Decision{}, fmt.Errorf("lockout: check: %w", err)
	}
	familiar := l.p.KnownAddressFor > 0 && recs[3].Until.After(now)
	d := Decision{Allowed: true}
	for i, scope := range scopes {
		if scope == ScopeUser && familiar {
			continue
		}
		if until := recs[i].Until; until.After(now) {
			d.Allowed = false
			d.Scopes = append(d.Scopes, scope)
			d.RetryAfter = max(d.RetryAfter, until.Sub(now))
		}
	}
	if !d.Allowed {
		return nil, d, nil
	}
	r := &Reservation{user: user, addr: addr, kind: kind, now: now, familiar: familiar}
	// From a familiar address the address-wide counter counts failures
	// only once they are settled: users behind one NAT sign in at once by
	// the dozen, and attempts still being checked must not refuse them as
	// if they had failed. The attempt is still refused once the settled
	// failures reached the limit within the window (a peek, in the same
	// operation), so the limit holds per window for them too; and the
	// attempts in flight from the address for users to whom it is familiar
	// are capped at twice the limit, so a burst of wrong passwords from
	// there (someone inside that office) passes the limit by at most that
	// many. A spray's attempts come from addresses unfamiliar to their
	// victims, so they are counted in flight as before and no parallel
	// burst gets past the limit; the address lock itself refuses everyone
	// (checked above).
	want := []held{
		{scope: ScopePair, key: pairKey(user, addr), lock: pairKey(user, addr), limit: l.p.MaxFailures},
		{scope: ScopeAddr, key: addrLockKey(addr), lock: addrLockKey(addr), limit: l.p.PerAddressMaxFailures, settled: familiar},
	}
	if familiar {
		want = append(want, held{scope: ScopeAddr, key: flightKey(addr), lock: addrLockKey(addr), limit: flightLimit(l.p.PerAddressMaxFailures), flight: true})
	}
	if !familiar {
		want = append(want, held{scope: ScopeUser, key: unfamiliarKey(user, kind), lock: userKey(user), limit: l.p.unfamiliarLimit(kind)})
	}
	cs := make([]store.AttemptCounter, len(want))
	for i, h := range want {
		cs[i] = store.AttemptCounter{Key: h.key, LockKey: h.lock, Limit: h.limit, Peek: h.settled, Flight: h.flight}
	}
	counts, refused, err := l.c.TakeAttempts(ctx, cs, now, l.p.Window)
	if err != nil {
		return nil, Decision{}, fmt.Errorf("lockout: reserve: %w", err)
	}
	if refused >= 0 {
		// The limit is taken by attempts still being checked (the last of
		// them to fail sets the lock), or the lock was set meanwhile.
		return nil, Decision{Scopes: []Scope{want[refused].scope}}, nil
	}
	for i := range want {
		want[i].count = counts[i]
	}
	r.held = want
	return r, d, nil
}

// Pass settles a reservation whose credential was right: the attempt is
// given back, since only failures count.
func (l *Limiter) Pass(ctx context.Context, r *Reservation) error { return l.giveBack(ctx, r) }

func (l *Limiter) giveBack(ctx context.Context, r *Reservation) error {
	keys := make([]string, 0, len(r.held))
	for _, h := range r.held {
		if !h.settled {
			keys = append(keys, h.key)
		}
	}
	r.held = nil
	if err := l.c.ReturnAttempts(ctx, keys, r.now); err != nil {
		return fmt.Errorf("lockout: give back: %w", err)
	}
	return nil
}

// Familiar reports whether addr is familiar for user at now (a whole
// sign-in from it within KnownAddressFor): one read, nothing counted. The
// sign-in flow asks before Reserve, to admit checks from unfamiliar
// addresses under a budget before they cost a write.
func (l *Limiter) Familiar(ctx context.Context, user string, addr netip.Addr, now time.Time) (bool, error) {
	return l.known(ctx, user, addr, now)
}

func (l *Limiter) known(ctx context.Context, user string, addr netip.Addr, now time.Time) (bool, error) {
	if l.p.KnownAddressFor == 0 {
		return false, nil
	}
	until, _, err := l.c.Lock(ctx, knownKey(user, addr))
	if err != nil {
		return false, fmt.Errorf("lockout: known address: %w", err)
	}
	return until.After(now), nil
}

// Lockout is a lock that Fail imposed, for the audit trail.
type Lockout struct {
	Scope Scope
	Until time.Time
	Level int
	// Kind is the credential whose failures led to a user-wide lock.
	Kind Kind
}

// Fail settles a reservation whose credential was wrong: the attempt stays
// counted, and every counter it brought to its limit locks. It returns the
// locks this failure imposed (usually none).
func (l *Limiter) Fail(ctx context.Context, r *Reservation) (out []Lockout, err error) {
	now := r.now
	hs := r.held
	r.held = nil
	var flights, kept []string
	for _, h := range hs {
		switch {
		case h.flight:
			flights = append(flights, h.key)
		case !h.settled:
			kept = append(kept, h.key)
		}
	}
	// The attempts in flight are given back whatever else fails: one left
	// behind would refuse its address until the window ends.
	defer func() {
		if len(flights) > 0 {
			if rerr := l.c.ReturnAttempts(ctx, flights, now); rerr != nil {
				err = errors.Join(err, fmt.Errorf("lockout: fail: %w", rerr))
			}
		}
	}()
	// Kept first: a store holding the attempts in flight in memory writes
	// them now. If it cannot, they stay counted there (and the store
	// writes them before it lets another attempt be checked), and the
	// locks below are still set from the counts Reserve took.
	var keepErr error
	if len(kept) > 0 {
		if kerr := l.c.KeepAttempts(ctx, kept, now, l.p.Window); kerr != nil {
			keepErr = fmt.Errorf("lockout: fail: %w", kerr)
		}
	}
	out, err = l.lockAfterFailure(ctx, r, hs, now)
	return out, errors.Join(keepErr, err)
}

// lockAfterFailure sets the locks a failure brought its counters to, for
// Fail: hs are the reservation's counters.
func (l *Limiter) lockAfterFailure(ctx context.Context, r *Reservation, hs []held, now time.Time) ([]Lockout, error) {
	var out []Lockout
	for _, h := range hs {
		if h.flight {
			continue
		}
		if h.settled {
			n, err := l.c.RecordFailure(ctx, h.key, now, l.p.Window)
			if err != nil {
				return out, fmt.Errorf("lockout: fail: %w", err)
			}
			h.count = n
		}
		if h.count < h.limit {
			continue
		}
		if h.settled {
			// Failures settled past the limit by attempts that were in
			// flight when it was reached find the lock already set: it
			// is the same episode, not a reason to lengthen it.
			until, _, err := l.c.Lock(ctx, h.lock)
			if err != nil {
				return out, fmt.Errorf("lockout: fail: %w", err)
			}
			if until.After(now) {
				continue
			}
		}
		base, limit := l.p.BaseLockout, l.p.MaxLockout
		if h.scope == ScopeUser {
			base, limit = l.p.UserLockout, l.p.UserMaxLockout
		}
		lk, fresh, err := l.lock(ctx, h.lock, "", h.scope, now, base, limit)
		if err != nil {
			return out, err
		}
		if h.scope == ScopeUser {
			lk.Kind = r.kind
		}
		out = append(out, lk)
		if h.scope == ScopePair && fresh {
			more, err := l.strike(ctx, r.user, now)
			if err != nil {
				return out, err
			}
			out = append(out, more...)
		}
	}
	return out, nil
}

// flightLimit is how many attempts may be in flight at once from one
// address for users to whom it is familiar: twice the address limit, at
// least 64 (an office signing in at nine), and no overflow for a limit
// switched off (MaxInt32).
func flightLimit(addrLimit int) int {
	if addrLimit > math.MaxInt32/2 {
		return math.MaxInt32
	}
	return max(2*addrLimit, 64)
}

// strike counts a fresh pair lock against the user. Only the first lock of
// an episode strikes: an episode lasts until a quiet Window, so one address
// strikes at most once per Window and cannot reach UserLockAddresses alone.
func (l *Limiter) strike(ctx context.Context, user string, now time.Time) ([]Lockout, error) {
	s, err := l.c.RecordFailure(ctx, strikesKey(user), now, l.p.Window)
	if err != nil {
		return nil, fmt.Errorf("lockout: fail: %w", err)
	}
	if s < l.p.UserLockAddresses {
		return nil, nil
	}
	lk, _, err := l.lock(ctx, userKey(user), strikesKey(user), ScopeUser, now, l.p.UserLockout, l.p.UserMaxLockout)
	if err != nil {
		return nil, err
	}
	return []Lockout{lk}, nil
}

// lock sets the next lock on key. The level grows while locks follow each
// other; after a quiet Window it starts again at 1 (fresh = true), so an old
// episode does not punish today's typo. The attempt counter that led to the
// lock is NOT cleared: it stays at its limit until its window has passed, so
// a limit holds per window, not per lock (a short lock ending does not give
// a new allowance). reset names a counter to clear (the strikes, which are
// counted without a ceiling), or "".
func (l *Limiter) lock(ctx context.Context, key, reset string, scope Scope, now time.Time, base, limit time.Duration) (Lockout, bool, error) {
	prevUntil, level, err := l.c.Lock(ctx, key)
	if err != nil {
		return Lockout{}, false, fmt.Errorf("lockout: %w", err)
	}
	fresh := level == 0 || !now.Before(prevUntil.Add(l.p.Window))
	if fresh {
		level = 0
	}
	level++
	until := now.Add(period(base, limit, level))
	if err := l.c.SetLock(ctx, key, until, level); err != nil {
		return Lockout{}, false, fmt.Errorf("lockout: %w", err)
	}
	if reset != "" {
		if err := l.c.ResetFailures(ctx, reset); err != nil {
			return Lockout{}, false, fmt.Errorf("lockout: %w", err)
		}
	}
	return Lockout{Scope: scope, Until: until, Level: level}, fresh, nil
}

// Succeed records a successful sign-in (both factors) of user from addr: the
// pair's count and lock level are forgotten and the address becomes
// familiar. The address-wide and user-wide counters are deliberately kept:
// an attacker must not reset them by signing in to an account of their own,
// or by waiting for the real user to sign in.
func (l *Limiter) Succeed(ctx context.Context, user string, addr netip.Addr, now time.Time) error {
	// One commit for both, without waiting for the disk: undone by a power
	// cut, it leaves the pair's count higher and the address unfamiliar,
	// both the safe side.
	var mark string
	var until time.Time
	if l.p.KnownAddressFor > 0 {
		mark, until = knownKey(user, addr), now.Add(l.p.KnownAddressFor)
	}
	if err := l.c.RecordSuccess(ctx, pairKey(user, addr), mark, until); err != nil {
		return fmt.Errorf("lockout: succeed: %w", err)
	}
	return nil
}
