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
	// Limiter bounds the argon2id derivations running at once across the
	// process, so a spray cannot grow memory past its budget, and paces
	// the checks that need no derivation (Limiter.Pace); nil means no
	// bound and no pacing: every check derives (tests). app.Build always
	// sets one.
	Limiter *mfa.Limiter
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
	if !anyLive(list) {
		// Nothing to compare a derivation with: most users, and every
		// guess sprayed at them. The answer is known, so only its time is
		// spent (Limiter.Pace), drawn from real checks: no argon2id, no
		// 19 MiB, and still no telling this user from one who has some.
		a.Limiter.Pace(ctx, func() { _ = a.derive1(user, pw) })
		return false, nil
	}
	d, err := a.derived(ctx, user, pw)
	if err != nil {
		return false, fmt.Errorf("factors: app password check: %w", err)
	}
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
			// RunFor weighs it by its own memory, which may exceed ours.
			if err := a.Limiter.RunFor(ctx, p.Hash, func() { match, _ = mfa.CheckPassword(p.Hash, pw) }); err != nil {
				return false, fmt.Errorf("factors: app password check: %w", err)
			}
		}
		if match && hit == nil {
			hit, legacy = &list[i], !ok
		}
	}
	if hit == nil {
		return false, nil
	}
	if legacy {
		var rehash string
		if err := a.Limiter.Run(ctx, func() { rehash = mfa.ForUser(user).Hash(pw) }); err != nil {
			return false, fmt.Errorf("factors: app password upgrade: %w", err)
		}
		if err := a.Store.RehashAppPassword(ctx, hit.ID, rehash); err != nil {
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

// SpendCheck reads the user's list like CheckAppPassword and decides
// nothing: no comparison, no last-use time, no audit record. It derives
// nothing either (Limiter.Pace): it sleeps as long as a recent real
// derivation took, waiting for its place included, so it takes about the
// same time as a check, and a flood of decoys takes no place and no
// memory from the checks that count. Only before any derivation has been
// measured may it derive (when a place is free right now).
func (a *AppPasswords) SpendCheck(ctx context.Context, user, password string) {
	_, _ = a.Store.AppPasswords(ctx, user)
	pw := mfa.NormalizeAppPassword(password)
	a.Limiter.Pace(ctx, func() { _ = a.derive1(user, pw) })
}

// anyLive reports whether list holds an app password that is not revoked.
func anyLive(list []store.AppPassword) bool {
	for _, p := range list {
		if !p.Revoked {
			return true
		}
	}
	return false
}

// derive1 is one derivation of pw for user (the test hook, or argon2id).
func (a *AppPasswords) derive1(user, pw string) mfa.Derived {
	h := mfa.ForUser(user)
	if a.derive != nil {
		return a.derive(h, pw)
	}
	return h.Derive(pw)
}

// derived runs the one derivation of a check under the Limiter; the error
// is ctx's, when the request ended while waiting for a place.
func (a *AppPasswords) derived(ctx context.Context, user, pw string) (mfa.Derived, error) {
	var d mfa.Derived
	err := a.Limiter.Run(ctx, func() { d = a.derive1(user, pw) })
	return d, err
}
