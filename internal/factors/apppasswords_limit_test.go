package factors

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/store"
)

// listedStore tells when a check has read the user's list, the last step
// before its derivation.
type listedStore struct {
	AppPasswordStore
	listed chan struct{}
}

func (s listedStore) AppPasswords(ctx context.Context, user string) ([]store.AppPassword, error) {
	defer func() { s.listed <- struct{}{} }()
	return s.AppPasswordStore.AppPasswords(ctx, user)
}

// TestAppPasswordCheckWaitsForLimiter: with the Limiter's only place
// taken, a check and a decoy wait instead of deriving, and a request that
// ends while waiting gives up with its context's error, never having
// spent the memory of a derivation.
func TestAppPasswordCheckWaitsForLimiter(t *testing.T) {
	lim := mfa.NewLimiter(1)
	held, release := make(chan struct{}), make(chan struct{})
	var holder sync.WaitGroup
	holder.Go(func() { _ = lim.Run(context.Background(), func() { close(held); <-release }) })
	<-held
	defer holder.Wait()
	defer close(release)

	s := listedStore{AppPasswordStore: openStore(t), listed: make(chan struct{})}
	derivations := 0
	a := &AppPasswords{Store: s, Limiter: lim, derive: func(h mfa.AppPasswordHasher, pw string) mfa.Derived {
		derivations++
		return h.Derive(pw)
	}}
	for _, c := range []struct {
		name string
		call func(context.Context) error
	}{
		{"check", func(ctx context.Context) error {
			_, err := a.CheckAppPassword(ctx, "alice", "abcd-efgh-jkmn-pqrs", time.Now())
			return err
		}},
		{"decoy", func(ctx context.Context) error { a.SpendCheck(ctx, "alice", "abcd-efgh-jkmn-pqrs"); return ctx.Err() }},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- c.call(ctx) }()
		<-s.listed
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err %v, want context.Canceled", c.name, err)
		}
	}
	if derivations != 0 {
		t.Errorf("%d derivations ran past a full Limiter", derivations)
	}
}
