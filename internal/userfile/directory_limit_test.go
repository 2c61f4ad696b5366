package userfile

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/mfa"
)

// TestCheckWaitsForLimiter: with the Limiter's only place taken, a
// password check (argon2id and bcrypt users), the dummy check of an
// unknown name all queue instead of deriving, and
// a request that ends while queued gives up with its context's error (the
// same for a known and an unknown name), never having held the memory of a
// derivation. Once the place is free, checks answer as before.
func TestCheckWaitsForLimiter(t *testing.T) {
	d := load(t)
	lim := mfa.NewLimiter(1)
	d.Limiter = lim
	held, release := make(chan struct{}), make(chan struct{})
	var holder sync.WaitGroup
	holder.Go(func() { _ = lim.Run(context.Background(), func() { close(held); <-release }) })
	<-held

	authenticate := func(user string) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := d.Authenticate(ctx, user, "wrong-pw")
			if _, ok := claims.IsRejected(err); ok {
				t.Errorf("%s: rejected (%v), want the error of a context that ended while queued", user, err)
			}
			return err
		}
	}
	for _, c := range []struct {
		name string
		call func(context.Context) error
	}{
		{"argon2id user", authenticate("alice")},
		{"bcrypt user", authenticate("bob")},
		{"unknown user (dummy hash)", authenticate("nobody")},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.call(ctx) }()
		if err := waitQueued(lim, done); err != nil {
			t.Errorf("%s: %v", c.name, err)
			cancel()
			continue
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err %v, want context.Canceled", c.name, err)
		}
	}

	close(release)
	holder.Wait()
	if id, err := d.Authenticate(context.Background(), "alice", "alice-pw"); err != nil || id.Username != "alice" {
		t.Errorf("with the place free: %+v, %v", id, err)
	}
	if _, err := d.Authenticate(context.Background(), "nobody", "x"); reason(err) != claims.ReasonUnknownUser {
		t.Errorf("unknown user with the place free: %v", err)
	}
}

// TestDecoyNeverQueues: with the Limiter's only place taken, the decoy
// SpendCheck (known and unknown name) does not wait for it: it sleeps the
// calibrated cost instead (here a sleep the test counts) and takes no
// place, so a flood of decoys queues nothing before real checks.
func TestDecoyNeverQueues(t *testing.T) {
	d := load(t)
	var slept []time.Duration
	lim := mfa.NewLimiter(1, mfa.WithClock(time.Now, func(t time.Duration) { slept = append(slept, t) }))
	d.Limiter = lim
	// One real check calibrates what a decoy sleeps.
	if _, err := d.Authenticate(context.Background(), "alice", "alice-pw"); err != nil {
		t.Fatal(err)
	}
	held, release := make(chan struct{}), make(chan struct{})
	var holder sync.WaitGroup
	holder.Go(func() { _ = lim.Run(context.Background(), func() { close(held); <-release }) })
	<-held
	ran := lim.Stats().Ran
	for _, user := range []string{"alice", "nobody"} {
		d.SpendCheck(context.Background(), user, "wrong-pw")
	}
	if w := lim.Waiting(); w != 0 {
		t.Errorf("%d waiting for the Limiter after the decoys", w)
	}
	if st := lim.Stats(); st.Ran != ran || st.Slept != 2 {
		t.Errorf("stats %+v: want no derivation (Ran %d) and 2 decoys slept", st, ran)
	}
	for i, s := range slept {
		if s <= 0 {
			t.Errorf("decoy %d slept %v, want the last check's duration", i, s)
		}
	}
	close(release)
	holder.Wait()
	// With the place free a decoy derives for real.
	d.SpendCheck(context.Background(), "alice", "wrong-pw")
	if st := lim.Stats(); st.Ran != ran+2 || st.Slept != 2 {
		t.Errorf("stats %+v after the place came free: want 2 more derivations (holder, decoy), no more sleeps", st)
	}
}

// waitQueued returns once the call behind done is waiting for lim, or an
// error when the call finished first (it did not wait).
func waitQueued(lim *mfa.Limiter, done <-chan error) error {
	for lim.Waiting() == 0 {
		select {
		case err := <-done:
			return errors.New("finished without waiting for the Limiter: " + errString(err))
		default:
			runtime.Gosched()
		}
	}
	return nil
}

func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}
