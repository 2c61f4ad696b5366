package store_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/sqlitestore"
)

var lt0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeLeases is a LeaseStore in memory that judges expiry by the now it is
// given, as sqlitestore does, and records what it was asked.
type fakeLeases struct {
	mu       sync.Mutex
	held     map[string]fakeLease
	takes    int // TakeLease calls
	refusals int
	releases int
	// takeErr, when set, is TakeLease's answer.
	takeErr error
	// releaseCtxErr is the ctx.Err() ReleaseLease last saw.
	releaseCtxErr error
	// refused, when set, receives a value on every refusal (not blocking).
	refused chan struct{}
}

type fakeLease struct {
	owner string
	until time.Time
}

var _ store.LeaseStore = (*fakeLeases)(nil)

func newFakeLeases() *fakeLeases { return &fakeLeases{held: map[string]fakeLease{}} }

func (f *fakeLeases) TakeLease(_ context.Context, key, owner string, now time.Time, ttl time.Duration) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.takes++
	if f.takeErr != nil {
		return false, f.takeErr
	}
	if cur, ok := f.held[key]; ok && cur.owner != owner && now.Before(cur.until) {
		f.refusals++
		if f.refused != nil {
			select {
			case f.refused <- struct{}{}:
			default:
			}
		}
		return false, nil
	}
	f.held[key] = fakeLease{owner: owner, until: now.Add(ttl)}
	return true, nil
}

func (f *fakeLeases) ReleaseLease(ctx context.Context, key, owner string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.releases++
	f.releaseCtxErr = ctx.Err()
	if cur, ok := f.held[key]; ok && cur.owner == owner {
		delete(f.held, key)
	}
	return nil
}

func (f *fakeLeases) hold(key, owner string, until time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.held[key] = fakeLease{owner: owner, until: until}
}

func (f *fakeLeases) lease(key string) (fakeLease, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.held[key]
	return l, ok
}

func (f *fakeLeases) counts() (takes, refusals, releases int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.takes, f.refusals, f.releases
}

// fakeTime is the Locker's clock and Sleep. A sleep of at most short
// passes at once and moves the clock on; a longer one (the renewal's, the
// local queue's deadline) announces itself (asleep) and waits for wake
// with its duration, or for its context.
type fakeTime struct {
	mu    sync.Mutex
	now   time.Time
	short time.Duration
	slept []time.Duration // the short sleeps, in order
	chans map[time.Duration]*sleepChans
}

type sleepChans struct {
	asleep chan struct{}
	wake   chan struct{}
}

func newFakeTime(short time.Duration) *fakeTime {
	return &fakeTime{now: lt0, short: short, chans: map[time.Duration]*sleepChans{}}
}

func (f *fakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTime) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func (f *fakeTime) of(d time.Duration) *sleepChans {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.chans[d]
	if c == nil {
		c = &sleepChans{asleep: make(chan struct{}, 16), wake: make(chan struct{})}
		f.chans[d] = c
	}
	return c
}

// waitAsleep returns once a sleep of d has begun.
func (f *fakeTime) waitAsleep(d time.Duration) { <-f.of(d).asleep }

// wake ends a sleep of d (waiting until there is one).
func (f *fakeTime) wake(d time.Duration) { f.of(d).wake <- struct{}{} }

func (f *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	if d <= f.short {
		f.mu.Lock()
		f.now = f.now.Add(d)
		f.slept = append(f.slept, d)
		f.mu.Unlock()
		return nil
	}
	c := f.of(d)
	c.asleep <- struct{}{}
	select {
	case <-c.wake:
		f.advance(d)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *fakeTime) sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.slept...)
}

// seeded is a deterministic Rand.
type seeded struct{ r *rand.ChaCha8 }

func (s seeded) Read(p []byte) (int, error) { return s.r.Read(p) }

func newLocker(ls store.LeaseStore, ft *fakeTime, o store.LockerOptions) *store.Locker {
	o.Now, o.Sleep = ft.Now, ft.Sleep
	if o.Rand == nil {
		o.Rand = seeded{rand.NewChaCha8([32]byte{7})}
	}
	return store.NewLocker(ls, o)
}

func mustLock(t *testing.T, l *store.Locker, key string) func() {
	t.Helper()
	_, release, err := l.Lock(context.Background(), key)
	if err != nil {
		t.Fatalf("Lock(%q): %v", key, err)
	}
	return release
}

// TestLockerGivesUpOnABusyLease: a lease another instance holds makes Lock
// back off, with jittered pauses between the minimum and a cap that
// doubles up to the maximum, and fail with ErrLockBusy at MaxWait,
// holding nothing.
func TestLockerGivesUpOnABusyLease(t *testing.T) {
	fs := newFakeLeases()
	ft := newFakeTime(time.Second)
	l := newLocker(fs, ft, store.LockerOptions{MaxWait: 2 * time.Second})
	fs.hold("k", "other instance", lt0.Add(time.Hour))
	if _, _, err := l.Lock(context.Background(), "k"); !errors.Is(err, store.ErrLockBusy) {
		t.Fatalf("Lock on a busy key: %v, want ErrLockBusy", err)
	}
	slept := ft.sleeps()
	var total time.Duration
	distinct := map[time.Duration]bool{}
	bound := store.DefaultMinBackoff
	for i, d := range slept {
		if i < len(slept)-1 && (d < store.DefaultMinBackoff || d > bound) {
			t.Errorf("pause %d is %v, want between %v and %v", i, d, store.DefaultMinBackoff, bound)
		}
		total += d
		distinct[d] = true
		bound = min(2*bound, store.DefaultMaxBackoff)
	}
	if total != 2*time.Second {
		t.Errorf("waited %v in all, want MaxWait (2s)", total)
	}
	if len(distinct) < len(slept)/2 {
		t.Errorf("pauses %v are not jittered", slept)
	}
	takes, refusals, _ := fs.counts()
	if takes != len(slept) || refusals != takes {
		t.Errorf("%d tries, %d refused, %d pauses", takes, refusals, len(slept))
	}
	if cur, _ := fs.lease("k"); cur.owner != "other instance" {
		t.Errorf("the other instance's lease changed: %+v", cur)
	}
	// The key is not left locked in this process.
	fs.hold("k", "other instance", lt0)
	mustLock(t, l, "k")()
}

// TestLockerWaitsForExpiry: a lease whose holder died is taken once it
// expires.
func TestLockerWaitsForExpiry(t *testing.T) {
	fs := newFakeLeases()
	ft := newFakeTime(time.Second)
	l := newLocker(fs, ft, store.LockerOptions{})
	fs.hold("k", "dead instance", lt0.Add(500*time.Millisecond))
	release := mustLock(t, l, "k")
	if got := ft.Now(); got.Before(lt0.Add(500 * time.Millisecond)) {
		t.Fatalf("took the lease at %v, before it expired", got.Sub(lt0))
	}
	cur, _ := fs.lease("k")
	if cur.owner == "dead instance" || !cur.until.Equal(ft.Now().Add(store.DefaultLeaseTTL)) {
		t.Fatalf("lease %+v, want ours for the default TTL", cur)
	}
	release()
	if _, ok := fs.lease("k"); ok {
		t.Fatal("release left the lease in the store")
	}
}

// TestLockerOwnersAreFresh: every Lock is its own owner, so a late release
// of an earlier holder cannot free a later one's lease.
func TestLockerOwnersAreFresh(t *testing.T) {
	fs := newFakeLeases()
	l := store.NewLocker(fs, store.LockerOptions{})
	seen := map[string]bool{}
	for range 20 {
		release := mustLock(t, l, "k")
		cur, _ := fs.lease("k")
		if len(cur.owner) != 32 || seen[cur.owner] {
			t.Fatalf("owner %q: not a fresh 128-bit token", cur.owner)
		}
		seen[cur.owner] = true
		release()
	}
}

// TestLockerQueuesLocally: a second caller of the same key in this process
// waits in the process's own queue, without asking the store, and goes on
// when the first releases; another key is not held up.
func TestLockerQueuesLocally(t *testing.T) {
	fs := newFakeLeases()
	ft := newFakeTime(time.Second)
	l := newLocker(fs, ft, store.LockerOptions{MaxWait: 5 * time.Second})
	first := mustLock(t, l, "k")
	got := make(chan error)
	go func() {
		_, release, err := l.Lock(context.Background(), "k")
		if err == nil {
			release()
		}
		got <- err
	}()
	ft.waitAsleep(5 * time.Second) // the second caller queues until MaxWait
	mustLock(t, l, "other")()
	if takes, _, _ := fs.counts(); takes != 2 {
		t.Fatalf("%d store calls while the second caller queued; want 2 (the first caller's and the other key's)", takes)
	}
	first()
	if err := <-got; err != nil {
		t.Fatalf("the queued caller: %v", err)
	}
	if takes, refusals, releases := fs.counts(); takes != 3 || refusals != 0 || releases != 3 {
		t.Errorf("store saw %d takes, %d refusals, %d releases; want 3, 0, 3", takes, refusals, releases)
	}
}

// TestLockerLocalWaitEnds: a queued caller gives up at MaxWait, and when
// its context ends, without touching the store.
func TestLockerLocalWaitEnds(t *testing.T) {
	fs := newFakeLeases()
	ft := newFakeTime(time.Second)
	l := newLocker(fs, ft, store.LockerOptions{MaxWait: 5 * time.Second})
	release := mustLock(t, l, "k")
	got := make(chan error)
	go func() {
		_, _, err := l.Lock(context.Background(), "k")
		got <- err
	}()
	ft.waitAsleep(5 * time.Second)
	ft.wake(5 * time.Second) // MaxWait passes
	if err := <-got; !errors.Is(err, store.ErrLockBusy) {
		t.Fatalf("queued past MaxWait: %v, want ErrLockBusy", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, _, err := l.Lock(ctx, "k")
		got <- err
	}()
	ft.waitAsleep(5 * time.Second)
	cancel()
	if err := <-got; !errors.Is(err, context.Canceled) {
		t.Fatalf("queued with a cancelled context: %v", err)
	}
	if takes, _, _ := fs.counts(); takes != 1 {
		t.Errorf("%d store calls; the queued callers must not make any", takes)
	}
	release()
	mustLock(t, l, "k")()
}

// TestLockerStoreFailure: a store error is Lock's error, nothing stays held
// (what the failed statement may have written is released), and the next
// Lock works once the store is back.
func TestLockerStoreFailure(t *testing.T) {
	fs := newFakeLeases()
	down := errors.New("connection refused")
	fs.takeErr = down
	l := store.NewLocker(fs, store.LockerOptions{})
	if _, _, err := l.Lock(context.Background(), "k"); !errors.Is(err, down) {
		t.Fatalf("Lock with the store down: %v", err)
	}
	if _, _, releases := fs.counts(); releases != 1 {
		t.Errorf("%d releases after a failed take, want 1", releases)
	}
	fs.mu.Lock()
	fs.takeErr = nil
	fs.mu.Unlock()
	mustLock(t, l, "k")()
}

// TestLockerReleaseOutlivesCancel: a caller whose context ended (the client
// left) still frees its lease, once, however often release is called.
func TestLockerReleaseOutlivesCancel(t *testing.T) {
	fs := newFakeLeases()
	l := store.NewLocker(fs, store.LockerOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	_, release, err := l.Lock(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	release()
	release()
	_, _, releases := fs.counts()
	if _, held := fs.lease("k"); held || releases != 1 || fs.releaseCtxErr != nil {
		t.Fatalf("held %v, %d releases, release context %v; want freed once with a live context", held, releases, fs.releaseCtxErr)
	}
}

// TestLockerRenews: a holder renews its lease every TTL/3, so it is still
// held past the first TTL, and release stops the renewal before freeing
// it, so nothing takes it back.
func TestLockerRenews(t *testing.T) {
	fs := newFakeLeases()
	ft := newFakeTime(time.Second)
	l := newLocker(fs, ft, store.LockerOptions{TTL: 30 * time.Second})
	release := mustLock(t, l, "k")
	const third = 10 * time.Second // TTL/3
	ft.waitAsleep(third)
	ft.wake(third) // renewal at +10s
	ft.waitAsleep(third)
	ft.wake(third)       // renewal at +20s
	ft.waitAsleep(third) // back asleep: the second renewal is done
	ft.advance(15 * time.Second)
	if ok, _ := fs.TakeLease(context.Background(), "k", "another instance", ft.Now(), time.Minute); ok {
		t.Fatal("a lease its holder renews expired at its first TTL")
	}
	release()
	if _, held := fs.lease("k"); held {
		t.Fatal("the lease outlived release")
	}
	if ok, _ := fs.TakeLease(context.Background(), "k", "another instance", ft.Now(), time.Minute); !ok {
		t.Fatal("a released lease stayed taken")
	}
}

// TestLockersOnTwoHandlesExclude: two Lockers, as two instances would have,
// on two handles of one SQLite file: their holders never overlap, and one
// gives up while the other holds.
func TestLockersOnTwoHandlesExclude(t *testing.T) {
	path := filepath.Join(t.TempDir(), sqlitestore.FileName)
	var handles [2]*sqlitestore.DB
	for i := range handles {
		db, err := sqlitestore.Open(context.Background(), path, sqlitestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		handles[i] = db
	}
	lockers := [2]*store.Locker{store.NewLocker(handles[0], store.LockerOptions{}), store.NewLocker(handles[1], store.LockerOptions{})}
	const n = 24
	var inside, most, entered atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, release, err := lockers[i%2].Lock(context.Background(), "user\x00alice")
			if err != nil {
				t.Error(err)
				return
			}
			c := inside.Add(1)
			for m := most.Load(); c > m && !most.CompareAndSwap(m, c); m = most.Load() {
			}
			entered.Add(1)
			time.Sleep(200 * time.Microsecond)
			inside.Add(-1)
			release()
		}()
	}
	close(start)
	wg.Wait()
	if m, e := most.Load(), entered.Load(); m != 1 || e != n {
		t.Fatalf("%d holders at once, %d of %d got in; want 1 and all", m, e, n)
	}

	release := mustLock(t, lockers[0], "user\x00bob")
	defer release()
	ft := newFakeTime(time.Second)
	ft.now = time.Now()
	impatient := newLocker(handles[1], ft, store.LockerOptions{MaxWait: time.Second})
	if _, _, err := impatient.Lock(context.Background(), "user\x00bob"); !errors.Is(err, store.ErrLockBusy) {
		t.Fatalf("the other instance's Lock while bob's is held: %v, want ErrLockBusy", err)
	}
}
