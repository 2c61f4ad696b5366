package factors

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/store"
)

// ErrTooManyAppPasswords is returned by CreateAppPassword when the user
// already holds MaxAppPasswords active app passwords.
var ErrTooManyAppPasswords = errors.New("factors: too many active app passwords")

// AppPasswordCreator is the slice of the store CreateAppPassword needs.
type AppPasswordCreator interface {
	AppPasswords(ctx context.Context, user string) ([]store.AppPassword, error)
	CreateAppPassword(ctx context.Context, p store.AppPassword) (store.AppPassword, error)
}

// CreateAppPassword makes a new app password for user, named name, with
// randomness from r (nil: crypto/rand), and stores only its hash, salted
// per user (mfa.ForUser) so one derivation checks all of the user's app
// passwords. It refuses with ErrTooManyAppPasswords when the user already
// holds MaxAppPasswords active ones. It returns the stored record and the
// plaintext, which the caller shows once.
//
// The count and the insert are two steps: two administrators creating a
// password for one user at the same instant can both pass. The cap bounds
// the work of a check, not an attacker, so a rare one-over is harmless.
func CreateAppPassword(ctx context.Context, s AppPasswordCreator, user, name string, r io.Reader) (store.AppPassword, string, error) {
	if user == "" || name == "" {
		return store.AppPassword{}, "", errors.New("factors: an app password needs a user and a name")
	}
	list, err := s.AppPasswords(ctx, user)
	if err != nil {
		return store.AppPassword{}, "", fmt.Errorf("factors: app passwords: %w", err)
	}
	active := 0
	for _, p := range list {
		if !p.Revoked {
			active++
		}
	}
	if active >= MaxAppPasswords {
		return store.AppPassword{}, "", fmt.Errorf("%w: %s already has %d, the most allowed", ErrTooManyAppPasswords, user, active)
	}
	if r == nil {
		r = rand.Reader
	}
	pw, err := mfa.NewAppPassword(r)
	if err != nil {
		return store.AppPassword{}, "", err
	}
	p, err := s.CreateAppPassword(ctx, store.AppPassword{User: user, Name: name, Hash: mfa.ForUser(user).Hash(mfa.NormalizeAppPassword(pw))})
	if err != nil {
		return store.AppPassword{}, "", fmt.Errorf("factors: create app password: %w", err)
	}
	return p, pw, nil
}
