package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

// hungLeases is a store that never answers: every call waits until its
// context ends, as a frozen server or a network black hole does.
type hungLeases struct{}

func (hungLeases) TakeLease(ctx context.Context, _, _ string, _ time.Time, _ time.Duration) (bool, error) {
	<-ctx.Done()
	return false, ctx.Err()
}

func (hungLeases) ReleaseLease(ctx context.Context, _, _ string) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestLockerHungStoreEndsAtMaxWait: a store that hangs does not hold Lock
// past its MaxWait: the store call is bounded by what is left of the wait,
// and Lock fails with the deadline. (Before, Lock waited for the store as
// long as it hung.)
func TestLockerHungStoreEndsAtMaxWait(t *testing.T) {
	l := store.NewLocker(hungLeases{}, store.LockerOptions{MaxWait: 50 * time.Millisecond})
	_, _, err := l.Lock(context.Background(), "k")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock on a hung store: %v, want a deadline error", err)
	}
}

// TestLockerSharesTheDeadline: a Lock under the held context of an earlier
// one gets only what is left of the first one's MaxWait, so the two locks
// of one request wait MaxWait in all, not twice.
func TestLockerSharesTheDeadline(t *testing.T) {
	fs := newFakeLeases()
	ft := newFakeTime(time.Second)
	l := newLocker(fs, ft, store.LockerOptions{MaxWait: 10 * time.Second})
	held, release, err := l.Lock(context.Background(), "session")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ft.advance(9 * time.Second)
	fs.hold("user", "other instance", lt0.Add(time.Hour))
	before := len(ft.sleeps())
	if _, _, err := l.Lock(held, "user"); !errors.Is(err, store.ErrLockBusy) {
		t.Fatalf("second lock: %v, want ErrLockBusy", err)
	}
	var waited time.Duration
	for _, d := range ft.sleeps()[before:] {
		waited += d
	}
	if waited != time.Second {
		t.Fatalf("the second lock waited %v, want the 1s left of the first one's MaxWait", waited)
	}
}

func waitLost(t *testing.T, held context.Context) {
	t.Helper()
	<-held.Done()
	if !errors.Is(context.Cause(held), store.ErrLeaseLost) {
		t.Fatalf("held ended with %v, want ErrLeaseLost", context.Cause(held))
	}
}

// TestLockerTellsALostLease: a renewal that finds the lease another
// holder's ends the held context with ErrLeaseLost.
func TestLockerTellsALostLease(t *testing.T) {
	fs := newFakeLeases()
	ft := newFakeTime(time.Second)
	l := newLocker(fs, ft, store.LockerOptions{TTL: 30 * time.Second})
	held, release, err := l.Lock(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if held.Err() != nil {
		t.Fatal("held is done before anything happened")
	}
	fs.hold("k", "another instance", lt0.Add(time.Hour))
	ft.waitAsleep(10 * time.Second)
	ft.wake(10 * time.Second)
	waitLost(t, held)
	if cur, _ := fs.lease("k"); cur.owner != "another instance" {
		t.Fatalf("the other holder's lease changed: %+v", cur)
	}
}

// flakyLeases fails the next fails calls of TakeLease (then answers from
// the fake), and counts them.
type flakyLeases struct {
	*fakeLeases
	mu    sync.Mutex
	fails int
	calls int
}

func (f *flakyLeases) TakeLease(ctx context.Context, key, owner string, now time.Time, ttl time.Duration) (bool, error) {
	f.mu.Lock()
	f.calls++
	fail := f.fails > 0
	if fail {
		f.fails--
	}
	f.mu.Unlock()
	if fail {
		return false, errors.New("connection reset")
	}
	return f.fakeLeases.TakeLease(ctx, key, owner, now, ttl)
}

func (f *flakyLeases) failNext(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fails = n
}

// TestLockerRetriesARenewal: a renewal that fails is retried after a short
// pause, not at the next TTL/3, and the lease stays held.
func TestLockerRetriesARenewal(t *testing.T) {
	fs := &flakyLeases{fakeLeases: newFakeLeases()}
	ft := newFakeTime(time.Second)
	l := newLocker(fs, ft, store.LockerOptions{TTL: 30 * time.Second})
	held, release, err := l.Lock(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	fs.failNext(3)
	ft.waitAsleep(10 * time.Second)
	ft.wake(10 * time.Second)
	ft.waitAsleep(10 * time.Second) // renewed after the retries: back to TTL/3
	if held.Err() != nil {
		t.Fatalf("held ended after a renewal was retried: %v", context.Cause(held))
	}
	cur, _ := fs.lease("k")
	if want := ft.Now().Add(30 * time.Second); !cur.until.Equal(want) {
		t.Fatalf("lease until %v, want renewed to %v", cur.until.Sub(lt0), want.Sub(lt0))
	}
	for _, d := range ft.sleeps() {
		if d > store.DefaultMaxBackoff {
			t.Fatalf("a retry paused %v, want at most %v", d, store.DefaultMaxBackoff)
		}
	}
}

// TestLockerTellsAnExpiredLease: when the store stays away until the lease
// expires, the retries stop and the held context ends with ErrLeaseLost.
func TestLockerTellsAnExpiredLease(t *testing.T) {
	fs := &flakyLeases{fakeLeases: newFakeLeases()}
	ft := newFakeTime(time.Second)
	l := newLocker(fs, ft, store.LockerOptions{TTL: 30 * time.Second})
	held, release, err := l.Lock(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	fs.failNext(1 << 30)
	ft.waitAsleep(10 * time.Second)
	ft.wake(10 * time.Second)
	waitLost(t, held)
	if now := ft.Now(); now.Before(lt0.Add(30 * time.Second)) {
		t.Fatalf("lost at +%v, before the lease expired (+30s)", now.Sub(lt0))
	}
	fs.mu.Lock()
	calls := fs.calls
	fs.mu.Unlock()
	if calls < 3 {
		t.Fatalf("%d store calls: the failed renewal was not retried", calls)
	}
}

// TestLockerCapsTheHold: renewal stops at MaxHold and the held context
// ends then.
func TestLockerCapsTheHold(t *testing.T) {
	fs := newFakeLeases()
	ft := newFakeTime(time.Second)
	l := newLocker(fs, ft, store.LockerOptions{TTL: 30 * time.Second, MaxHold: 25 * time.Second})
	held, release, err := l.Lock(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ft.waitAsleep(10 * time.Second)
	ft.wake(10 * time.Second)
	ft.waitAsleep(10 * time.Second)
	ft.wake(10 * time.Second)
	ft.waitAsleep(5 * time.Second) // only up to MaxHold
	if held.Err() != nil {
		t.Fatal("held ended before MaxHold")
	}
	ft.wake(5 * time.Second)
	waitLost(t, held)
}

// slowRenewal blocks the TakeLease calls of an owner that holds the lease
// already (renewals) until proceed, and records the order of events.
type slowRenewal struct {
	*fakeLeases
	mu       sync.Mutex
	events   []string
	inflight chan struct{}
	proceed  chan struct{}
}

func (s *slowRenewal) record(e string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
}

func (s *slowRenewal) TakeLease(ctx context.Context, key, owner string, now time.Time, ttl time.Duration) (bool, error) {
	if cur, ok := s.lease(key); ok && cur.owner == owner {
		s.inflight <- struct{}{}
		<-s.proceed
		if ctx.Err() != nil {
			s.record("renewal cancelled")
			return false, ctx.Err()
		}
		ok, err := s.fakeLeases.TakeLease(ctx, key, owner, now, ttl)
		s.record("renewed")
		return ok, err
	}
	return s.fakeLeases.TakeLease(ctx, key, owner, now, ttl)
}

func (s *slowRenewal) ReleaseLease(ctx context.Context, key, owner string) error {
	s.record("released")
	return s.fakeLeases.ReleaseLease(ctx, key, owner)
}

// TestLockerReleaseWaitsForARenewal: release during a renewal lets that
// renewal finish (it is not cancelled half-way, when it may still commit)
// and deletes the lease after it, so nothing is left behind.
func TestLockerReleaseWaitsForARenewal(t *testing.T) {
	fs := &slowRenewal{fakeLeases: newFakeLeases(), inflight: make(chan struct{}), proceed: make(chan struct{})}
	ft := newFakeTime(time.Second)
	l := newLocker(fs, ft, store.LockerOptions{TTL: 30 * time.Second})
	_, release, err := l.Lock(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	ft.waitAsleep(10 * time.Second)
	ft.wake(10 * time.Second)
	<-fs.inflight
	done := make(chan struct{})
	go func() { release(); close(done) }()
	close(fs.proceed)
	<-done
	fs.mu.Lock()
	events := append([]string(nil), fs.events...)
	fs.mu.Unlock()
	if len(events) != 2 || events[0] != "renewed" || events[1] != "released" {
		t.Fatalf("events %v, want [renewed released]", events)
	}
	if _, held := fs.lease("k"); held {
		t.Fatal("the lease outlived release")
	}
}

// failingRelease fails the first fails ReleaseLease calls.
type failingRelease struct {
	*fakeLeases
	mu    sync.Mutex
	fails int
	freed chan struct{}
}

func (f *failingRelease) ReleaseLease(ctx context.Context, key, owner string) error {
	f.mu.Lock()
	fail := f.fails > 0
	if fail {
		f.fails--
	}
	f.mu.Unlock()
	if fail {
		return errors.New("connection refused")
	}
	err := f.fakeLeases.ReleaseLease(ctx, key, owner)
	close(f.freed)
	return err
}

// TestLockerRetriesARelease: a release the store fails is retried in the
// background until it goes through, so the lease does not block the key
// for the rest of its TTL.
func TestLockerRetriesARelease(t *testing.T) {
	fs := &failingRelease{fakeLeases: newFakeLeases(), fails: 3, freed: make(chan struct{})}
	ft := newFakeTime(time.Second)
	l := newLocker(fs, ft, store.LockerOptions{TTL: 30 * time.Second})
	_, release, err := l.Lock(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	release()
	<-fs.freed
	if _, held := fs.lease("k"); held {
		t.Fatal("the lease is still held after the retried release")
	}
}
