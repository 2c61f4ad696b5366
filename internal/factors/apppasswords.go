package factors

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/store"
)

// AppPasswordStore is the slice of the store app passwords need.
type AppPasswordStore interface {
	AppPasswords(ctx context.Context, user string) ([]store.AppPassword, error)
	TouchAppPassword(ctx context.Context, id string, when time.Time) error
}

// MaxAppPasswords is how many active app passwords a user may hold. Each
// wrong domain password is checked against all of them, so the cap bounds
// the argon2id work one sign-in attempt can cause.
const MaxAppPasswords = 5

// AppPasswords implements login.AppPasswords over the store.
type AppPasswords struct {
	Store AppPasswordStore
	// Used is told which app password was used (for the audit trail).
	Used func(ctx context.Context, user, name string)

	// dummy keeps the time of a check for a user with no app passwords
	// close to that of a user with one, so timing does not tell them apart.
	once  sync.Once
	dummy string
}

var _ login.AppPasswords = (*AppPasswords)(nil)

// CheckAppPassword tries every live app password of user.
func (a *AppPasswords) CheckAppPassword(ctx context.Context, user, password string, now time.Time) (bool, error) {
	list, err := a.Store.AppPasswords(ctx, user)
	if err != nil {
		return false, fmt.Errorf("factors: app passwords: %w", err)
	}
	pw := mfa.NormalizeAppPassword(password)
	checked := false
	for _, p := range list {
		if p.Revoked {
			continue
		}
		checked = true
		ok, err := mfa.CheckPassword(p.Hash, pw)
		if err != nil {
			continue // a damaged hash must not stop the others
		}
		if ok {
			if err := a.Store.TouchAppPassword(ctx, p.ID, now); err != nil {
				return false, fmt.Errorf("factors: app password last use: %w", err)
			}
			if a.Used != nil {
				a.Used(ctx, user, p.Name)
			}
			return true, nil
		}
	}
	if !checked {
		a.once.Do(func() { a.dummy, _ = mfa.HashPassword("claimgate-dummy", rand.Reader) })
		_, _ = mfa.CheckPassword(a.dummy, pw)
	}
	return false, nil
}
