package userfile

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/mfa"
)

// TestCheckWaitsForLimiter: with the Limiter's only place taken, a
// password check (argon2id and bcrypt users), the dummy check of an
// unknown name and the decoy SpendCheck all queue instead of deriving, and
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
	spend := func(user string) func(context.Context) error {
		return func(ctx context.Context) error { d.SpendCheck(ctx, user, "wrong-pw"); return ctx.Err() }
	}
	for _, c := range []struct {
		name string
		call func(context.Context) error
	}{
		{"argon2id user", authenticate("alice")},
		{"bcrypt user", authenticate("bob")},
		{"unknown user (dummy hash)", authenticate("nobody")},
		{"decoy, known user", spend("alice")},
		{"decoy, unknown user", spend("nobody")},
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
