package factors

import (
	"context"
	"fmt"
	"time"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/store"
)

// AppPasswordStore is the slice of the store app passwords need.
type AppPasswordStore interface {
	AppPasswords(ctx context.Context, user string) ([]store.AppPassword, error)
	TouchAppPassword(ctx context.Context, id string, when time.Time) error
	RehashAppPassword(ctx context.Context, id, hash string) error
}

// MaxAppPasswords is how many active app passwords a user may hold. A
// check costs one argon2id however many there are (mfa.AppPasswordHasher);
// the cap keeps the list, and older hashes that need a check of their own,
// small.
const MaxAppPasswords = 5

// AppPasswords implements login.AppPasswords over the store.
type AppPasswords struct {
	Store AppPasswordStore
	// Used is told which app password was used (for the audit trail).
	Used func(ctx context.Context, user, name string)
	// derive replaces the argon2id derivation in tests that count it.
	derive func(h mfa.AppPasswordHasher, pw string) mfa.Derived
}

var _ login.AppPasswords = (*AppPasswords)(nil)

// CheckAppPassword compares password with every live app password of user
// using one argon2id derivation, looking at all of them whatever matches,
// so the time does not depend on which one (if any) is right.
func (a *AppPasswords) CheckAppPassword(ctx context.Context, user, password string, now time.Time) (bool, error) {
	list, err := a.Store.AppPasswords(ctx, user)
	if err != nil {
		return false, fmt.Errorf("factors: app passwords: %w", err)
	}
	pw := mfa.NormalizeAppPassword(password)
	d := a.derived(user, pw)
	var hit *store.AppPassword
	legacy := false
	for i, p := range list {
		if p.Revoked {
			continue
		}
		match, ok := d.Matches(p.Hash)
		if !ok {
			// A hash from before per-user salts (or other parameters)
			// needs its own derivation; a damaged one must not stop the
			// others. Its next use upgrades it, so the extra work ends.
			match, _ = mfa.CheckPassword(p.Hash, pw)
		}
		if match && hit == nil {
			hit, legacy = &list[i], !ok
		}
	}
	if hit == nil {
		return false, nil
	}
	if legacy {
		if err := a.Store.RehashAppPassword(ctx, hit.ID, mfa.ForUser(user).Hash(pw)); err != nil {
			return false, fmt.Errorf("factors: app password upgrade: %w", err)
		}
	}
	if err := a.Store.TouchAppPassword(ctx, hit.ID, now); err != nil {
		return false, fmt.Errorf("factors: app password last use: %w", err)
	}
	if a.Used != nil {
		a.Used(ctx, user, hit.Name)
	}
	return true, nil
}

// SpendCheck reads the user's list and derives the key like
// CheckAppPassword, and decides nothing: no comparison, no last-use time,
// no audit record.
func (a *AppPasswords) SpendCheck(ctx context.Context, user, password string) {
	_, _ = a.Store.AppPasswords(ctx, user)
	a.derived(user, mfa.NormalizeAppPassword(password))
}

func (a *AppPasswords) derived(user, pw string) mfa.Derived {
	h := mfa.ForUser(user)
	if a.derive != nil {
		return a.derive(h, pw)
	}
	return h.Derive(pw)
}
