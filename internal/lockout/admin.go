package lockout

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

// Lock is a lock in force, as the admin CLI lists it.
type Lock struct {
	Scope Scope
	User  string // empty for ScopeAddr
	Addr  string // an address or IPv6 /64; empty for ScopeUser
	Until time.Time
	Level int
}

// Unlock lifts every lock on user (user-wide and from every address) and
// forgets the user's failure counts and lock levels.
func (l *Limiter) Unlock(ctx context.Context, user string) error {
	for _, k := range []string{userKey(user), strikesKey(user), unfamiliarKey(user, KindPassword), unfamiliarKey(user, KindCode)} {
		if err := l.c.Unlock(ctx, k); err != nil {
			return fmt.Errorf("lockout: unlock: %w", err)
		}
	}
	if _, err := l.c.UnlockPrefix(ctx, pfxPair+userPrefix(user)+"@"); err != nil {
		return fmt.Errorf("lockout: unlock: %w", err)
	}
	return nil
}

// UnlockAddr lifts the address-wide lock on addr.
func (l *Limiter) UnlockAddr(ctx context.Context, addr netip.Addr) error {
	if err := l.c.Unlock(ctx, addrLockKey(addr)); err != nil {
		return fmt.Errorf("lockout: unlock address: %w", err)
	}
	return nil
}

// Locks lists the locks in force at now from a store that can list them.
func Locks(ctx context.Context, s interface {
	Locks(ctx context.Context, now time.Time) ([]store.LockEntry, error)
}, now time.Time) ([]Lock, error) {
	entries, err := s.Locks(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("lockout: list: %w", err)
	}
	var out []Lock
	for _, e := range entries {
		scope, user, addr, ok := parseKey(e.Key)
		if !ok {
			continue // known-address markers and keys of other users of the table
		}
		out = append(out, Lock{Scope: scope, User: user, Addr: addr, Until: e.Until, Level: e.Level})
	}
	return out, nil
}
