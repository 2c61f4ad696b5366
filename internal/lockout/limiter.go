package lockout

import (
	"context"
	"fmt"
	"net/netip"
	"time"
)

// Counters is the slice of the store the policy needs (store.LockStore
// satisfies it).
type Counters interface {
	RecordFailure(ctx context.Context, key string, now time.Time, window time.Duration) (int, error)
	ResetFailures(ctx context.Context, key string) error
	SetLock(ctx context.Context, key string, until time.Time, level int) error
	Lock(ctx context.Context, key string) (until time.Time, level int, err error)
	Unlock(ctx context.Context, key string) error
	UnlockPrefix(ctx context.Context, prefix string) (int64, error)
}

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

// Decision is the answer of Check.
type Decision struct {
	Allowed bool
	// RetryAfter is how long until every lock that applies has ended (for
	// the log; the user sees the same page as for a wrong password).
	RetryAfter time.Duration
	// Scopes lists the locks that refused the attempt.
	Scopes []Scope
}

// Check says whether user may try a credential from addr at now. Call it
// before checking the password or code, and do not check it when refused.
func (l *Limiter) Check(ctx context.Context, user string, addr netip.Addr, now time.Time) (Decision, error) {
	d := Decision{Allowed: true}
	keys := []struct {
		scope Scope
		key   string
	}{{ScopePair, pairKey(user, addr)}, {ScopeAddr, addrLockKey(addr)}, {ScopeUser, userKey(user)}}
	for _, k := range keys {
		until, _, err := l.c.Lock(ctx, k.key)
		if err != nil {
			return Decision{}, fmt.Errorf("lockout: check: %w", err)
		}
		if !until.After(now) {
			continue
		}
		if k.scope == ScopeUser {
			known, err := l.known(ctx, user, addr, now)
			if err != nil {
				return Decision{}, err
			}
			if known {
				continue
			}
		}
		d.Allowed = false
		d.Scopes = append(d.Scopes, k.scope)
		d.RetryAfter = max(d.RetryAfter, until.Sub(now))
	}
	return d, nil
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
}

// Fail records a failed first or second factor of user from addr and returns
// the locks this failure triggered (usually none).
func (l *Limiter) Fail(ctx context.Context, user string, addr netip.Addr, now time.Time) ([]Lockout, error) {
	var out []Lockout
	pk := pairKey(user, addr)
	n, err := l.c.RecordFailure(ctx, pk, now, l.p.Window)
	if err != nil {
		return nil, fmt.Errorf("lockout: fail: %w", err)
	}
	if n >= l.p.MaxFailures {
		lk, fresh, err := l.lock(ctx, pk, ScopePair, now, l.p.BaseLockout, l.p.MaxLockout)
		if err != nil {
			return nil, err
		}
		out = append(out, lk)
		// Only the first lock of an episode is a strike against the user:
		// an episode lasts until a quiet Window, so one address strikes at
		// most once per Window and cannot reach UserLockAddresses alone.
		if fresh {
			s, err := l.c.RecordFailure(ctx, strikesKey(user), now, l.p.Window)
			if err != nil {
				return nil, fmt.Errorf("lockout: fail: %w", err)
			}
			if s >= l.p.UserLockAddresses {
				lk, _, err := l.lock(ctx, userKey(user), ScopeUser, now, l.p.UserLockout, l.p.UserMaxLockout)
				if err != nil {
					return nil, err
				}
				out = append(out, lk)
				if err := l.c.ResetFailures(ctx, strikesKey(user)); err != nil {
					return nil, fmt.Errorf("lockout: fail: %w", err)
				}
			}
		}
	}
	ak := addrLockKey(addr)
	if m, err := l.c.RecordFailure(ctx, ak, now, l.p.Window); err != nil {
		return nil, fmt.Errorf("lockout: fail: %w", err)
	} else if m >= l.p.PerAddressMaxFailures {
		lk, _, err := l.lock(ctx, ak, ScopeAddr, now, l.p.BaseLockout, l.p.MaxLockout)
		if err != nil {
			return nil, err
		}
		out = append(out, lk)
	}
	return out, nil
}

// lock sets the next lock on key and clears its counter. The level grows
// while locks follow each other; after a quiet Window it starts again at 1
// (fresh = true), so an old episode does not punish today's typo.
func (l *Limiter) lock(ctx context.Context, key string, scope Scope, now time.Time, base, limit time.Duration) (Lockout, bool, error) {
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
	if err := l.c.ResetFailures(ctx, key); err != nil {
		return Lockout{}, false, fmt.Errorf("lockout: %w", err)
	}
	return Lockout{Scope: scope, Until: until, Level: level}, fresh, nil
}

// Succeed records a successful sign-in (both factors) of user from addr: the
// pair's count and lock level are forgotten and the address becomes known.
// The address-wide and user-wide counters are deliberately kept: an attacker
// must not reset them by signing in to an account of their own, or by
// waiting for the real user to sign in.
func (l *Limiter) Succeed(ctx context.Context, user string, addr netip.Addr, now time.Time) error {
	if err := l.c.Unlock(ctx, pairKey(user, addr)); err != nil {
		return fmt.Errorf("lockout: succeed: %w", err)
	}
	if l.p.KnownAddressFor > 0 {
		if err := l.c.SetLock(ctx, knownKey(user, addr), now.Add(l.p.KnownAddressFor), 0); err != nil {
			return fmt.Errorf("lockout: succeed: %w", err)
		}
	}
	return nil
}
