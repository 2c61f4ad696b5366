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

	db := openStore(t)
	// A user with an app password: only such a check derives (one without
	// any is paced, TestNoLiveAppPasswordDerivesNothing).
	if _, err := db.CreateAppPassword(context.Background(), store.AppPassword{User: "alice", Name: "phone",
		Hash: mfa.ForUser("alice").Hash(mfa.NormalizeAppPassword("abcd-efgh-jkmn-zzzz"))}); err != nil {
		t.Fatal(err)
	}
	s := listedStore{AppPasswordStore: db, listed: make(chan struct{})}
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

// TestNoLiveAppPasswordDerivesNothing: once the Limiter has measured a
// real check, a wrong password for a user without live app passwords
// (none, or only revoked ones) and a decoy for an unknown name derive
// nothing: each sleeps the measured time instead (Limiter.Pace). A user
// who has one still derives, once.
func TestNoLiveAppPasswordDerivesNothing(t *testing.T) {
	db := openStore(t)
	ctx := context.Background()
	now := time.Now()
	for _, u := range []string{"has", "revoked"} {
		id, err := db.CreateAppPassword(ctx, store.AppPassword{User: u, Name: "phone", Hash: mfa.ForUser(u).Hash(mfa.NormalizeAppPassword("abcd-efgh-jkmn-pqrs"))})
		if err != nil {
			t.Fatal(err)
		}
		if u == "revoked" {
			if err := db.RevokeAppPassword(ctx, id.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	var slept []time.Duration
	lim := mfa.NewLimiter(1, mfa.WithClock(time.Now, func(d time.Duration) { slept = append(slept, d) }))
	derivations := 0
	a := &AppPasswords{Store: db, Limiter: lim, derive: func(h mfa.AppPasswordHasher, pw string) mfa.Derived {
		derivations++
		return h.Derive(pw)
	}}
	// The first real check measures what the others will sleep.
	if ok, err := a.CheckAppPassword(ctx, "has", "wrong-wrong-wrong", now); ok || err != nil {
		t.Fatalf("wrong app password: %v, %v", ok, err)
	}
	if derivations != 1 {
		t.Fatalf("%d derivations for a user with an app password, want 1", derivations)
	}
	for _, c := range []struct {
		name string
		call func()
	}{
		{"no app passwords", func() { _, _ = a.CheckAppPassword(ctx, "none", "wrong-wrong-wrong", now) }},
		{"only a revoked one", func() { _, _ = a.CheckAppPassword(ctx, "revoked", "abcd-efgh-jkmn-pqrs", now) }},
		{"decoy, unknown name", func() { a.SpendCheck(ctx, "nobody", "wrong-wrong-wrong") }},
		{"decoy, user with one", func() { a.SpendCheck(ctx, "has", "abcd-efgh-jkmn-pqrs") }},
	} {
		derivations, slept = 0, nil
		c.call()
		if derivations != 0 || len(slept) != 1 || slept[0] <= 0 {
			t.Errorf("%s: %d derivations, slept %v; want none and one measured sleep", c.name, derivations, slept)
		}
	}
	derivations = 0
	if ok, err := a.CheckAppPassword(ctx, "has", "abcd-efgh-jkmn-pqrs", now); !ok || err != nil {
		t.Errorf("right app password: %v, %v", ok, err)
	}
	if derivations != 1 {
		t.Errorf("%d derivations for the right app password, want 1", derivations)
	}
}
