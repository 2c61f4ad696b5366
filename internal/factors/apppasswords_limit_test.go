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
// taken, a check waits instead of deriving, and a request that ends while
// waiting gives up with its context's error, never having spent the
// memory of a derivation. A decoy does not wait at all: it sleeps instead
// of deriving and takes no place.
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
	decoy := make(chan struct{})
	go func() { a.SpendCheck(context.Background(), "alice", "abcd-efgh-jkmn-pqrs"); close(decoy) }()
	<-s.listed
	<-decoy // returns with the place still taken: it did not wait
	if st := lim.Stats(); st.Slept != 1 || lim.Waiting() != 0 {
		t.Errorf("decoy: stats %+v, %d waiting; want it slept, none waiting", st, lim.Waiting())
	}
	if derivations != 0 {
		t.Errorf("%d derivations ran past a full Limiter", derivations)
	}
}
