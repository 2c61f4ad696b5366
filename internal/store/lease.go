package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// ErrLockBusy: another holder kept the lock for longer than the caller
// was willing to wait.
var ErrLockBusy = errors.New("store: lock busy")

// ErrLeaseLost is the cause of a held context that ended before its
// release: the lease may be another holder's now, so the holder must not
// write what the lock guards.
var ErrLeaseLost = errors.New("store: lock lost")

// Defaults of LockerOptions.
const (
	// DefaultLeaseTTL is how long a lease lives without renewal: what an
	// instance that dies holding one costs the others.
	DefaultLeaseTTL = 30 * time.Second
	// DefaultLockWait is how long Lock waits for a busy lock.
	DefaultLockWait = 10 * time.Second
	// Backoff between two tries of a busy lease: jittered, from the
	// minimum doubling up to the maximum.
	DefaultMinBackoff = 2 * time.Millisecond
	DefaultMaxBackoff = 100 * time.Millisecond
	// DefaultMaxHold caps how long one Lock keeps its lease by renewal:
	// no sign-in step takes minutes, and a holder stuck that long (a hung
	// directory call) must not keep a user locked out of every instance.
	DefaultMaxHold = 2 * time.Minute
)

// releaseTimeout bounds the store call that frees a lease: release runs
// without its caller's cancellation (a lease must be freed even for a
// request whose client left), so it needs a bound of its own.
const releaseTimeout = 5 * time.Second

// CheckLease reports arguments no driver can take a lease with: an empty
// owner would share a lease with every other empty owner, and a lease
// without a life is never held.
func CheckLease(owner string, ttl time.Duration) error {
	if owner == "" {
		return errors.New("store: lease without an owner")
	}
	if ttl <= 0 {
		return fmt.Errorf("store: lease ttl %v is not positive", ttl)
	}
	return nil
}

// LockerOptions configure a Locker. Zero values mean the defaults.
type LockerOptions struct {
	// TTL is a lease's life; a held lease is renewed every TTL/3, so a
	// long critical section keeps it, and one whose instance died frees
	// it after at most TTL. Default DefaultLeaseTTL.
	TTL time.Duration
	// MaxWait bounds Lock's wait for a busy key, in this process's queue
	// and at the store together. Default DefaultLockWait.
	MaxWait time.Duration
	// MaxHold caps how long a held lock is renewed; then renewal stops
	// and the held context ends (ErrLeaseLost). Default DefaultMaxHold.
	MaxHold time.Duration
	// MinBackoff and MaxBackoff bound the pause between two tries of a
	// lease another instance holds. Defaults DefaultMinBackoff and
	// DefaultMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// Now is the clock of MaxWait and of the store's now. Nil: time.Now.
	Now func() time.Time
	// Rand makes the owner tokens and the backoff jitter. Nil: crypto/rand.
	Rand io.Reader
	// Sleep pauses for d or until ctx ends (then it returns ctx.Err()).
	// Nil: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger gets the leases that could not be renewed or released
	// (they then expire by themselves). Nil: discarded.
	Logger *slog.Logger
}

// Locker is a lock per key that holds across every instance on one store:
// Lock takes the key's lease in the store, waiting while another holder
// has it. Within this process, callers of one key queue on a local lock
// first, so only one of them at a time polls the store. It is safe for
// concurrent use.
type Locker struct {
	ls LeaseStore
	o  LockerOptions

	mu    sync.Mutex
	local map[string]*localSlot
}

// localSlot is one key's place in this process's queue: a one-token
// channel (so a wait can give up at the deadline) and the number of
// callers that hold or wait for it, so the map keeps only keys in use.
type localSlot struct {
	token chan struct{}
	refs  int
}

// NewLocker returns a Locker over ls.
func NewLocker(ls LeaseStore, o LockerOptions) *Locker {
	if o.TTL <= 0 {
		o.TTL = DefaultLeaseTTL
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultLockWait
	}
	if o.MaxHold <= 0 {
		o.MaxHold = DefaultMaxHold
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(DefaultMaxBackoff, o.MinBackoff)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Locker{ls: ls, o: o, local: map[string]*localSlot{}}
}

// Lock takes key's lock and returns it held: held is a child of ctx that
// is done, with the cause ErrLeaseLost, once the lease may be another
// holder's (a renewal found it taken, the store stayed away until it
// expired, or it was held for MaxHold), and after release. A holder
// checks held before each write that needs the lock. The caller must call
// release once it is done (calling it again does nothing).
//
// Lock fails with ErrLockBusy when the key stayed busy until the
// deadline, with ctx's error when ctx ends first, or with the store's
// error (a store that did not answer before the deadline: a wrapped
// context.DeadlineExceeded); nothing is held then. The deadline is MaxWait
// from now, or, when ctx is (or descends from) the held context of an
// earlier Lock, that Lock's deadline if sooner: the locks of one operation
// share a single MaxWait.
func (l *Locker) Lock(ctx context.Context, key string) (held context.Context, release func(), err error) {
	deadline := l.o.Now().Add(l.o.MaxWait)
	if d, ok := ctx.Value(deadlineKey{}).(time.Time); ok && d.Before(deadline) {
		deadline = d
	}
	slot := l.slot(key)
	if err := l.waitLocal(ctx, slot, deadline); err != nil {
		l.unref(key, slot)
		return nil, nil, err
	}
	freeLocal := func() {
		<-slot.token
		l.unref(key, slot)
	}
	owner, err := l.owner()
	if err != nil {
		freeLocal()
		return nil, nil, err
	}
	taken, err := l.takeLease(ctx, key, owner, deadline)
	if err != nil {
		freeLocal()
		return nil, nil, err
	}
	hctx, lose := context.WithCancelCause(context.WithValue(ctx, deadlineKey{}, deadline))
	h := l.hold(ctx, key, owner, taken, lose)
	var once sync.Once
	return hctx, func() {
		once.Do(func() {
			// The renewal ends first, one in flight included: a renewal
			// that committed after the delete would take the lease back
			// for nobody.
			until := h.stop()
			lose(errReleased)
			l.release(ctx, key, owner, until)
			freeLocal()
		})
	}, nil
}

// deadlineKey is the context key of a held lock's deadline.
type deadlineKey struct{}

// slot returns key's local slot, counting the caller in.
func (l *Locker) slot(key string) *localSlot {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.local[key]
	if s == nil {
		s = &localSlot{token: make(chan struct{}, 1)}
		l.local[key] = s
	}
	s.refs++
	return s
}

// unref counts the caller out of key's slot and drops the slot when no
// one holds or waits for it.
func (l *Locker) unref(key string, s *localSlot) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s.refs--; s.refs == 0 {
		delete(l.local, key)
	}
}

// waitLocal takes the slot's token, waiting at most until deadline.
func (l *Locker) waitLocal(ctx context.Context, s *localSlot, deadline time.Time) error {
	select {
	case s.token <- struct{}{}:
		return nil
	default:
	}
	wait := deadline.Sub(l.o.Now())
	if wait <= 0 {
		return ErrLockBusy
	}
	// The timer is Sleep in a goroutine, so that an injected clock
	// decides this wait too.
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	timeout := make(chan error, 1)
	go func() { timeout <- l.o.Sleep(tctx, wait) }()
	select {
	case s.token <- struct{}{}:
		return nil
	case err := <-timeout:
		if err != nil {
			return err
		}
		return ErrLockBusy
	}
}

// takeLease tries the store until the lease is owner's, backing off with
// jitter while another instance holds it, until deadline. It returns the
// now the lease was taken at.
func (l *Locker) takeLease(ctx context.Context, key, owner string, deadline time.Time) (time.Time, error) {
	backoff := l.o.MinBackoff
	for {
		left := deadline.Sub(l.o.Now())
		if left <= 0 {
			return time.Time{}, ErrLockBusy
		}
		// Each try is bounded by what is left of the wait: a store that
		// hangs (a network black hole, a frozen server) must not hold
		// the caller past its deadline.
		tctx, cancel := context.WithTimeout(ctx, left)
		now := l.o.Now()
		ok, err := l.ls.TakeLease(tctx, key, owner, now, l.o.TTL)
		cancel()
		if err != nil {
			// The statement may have committed before the error (a
			// cancelled wait for the answer): free what may be ours
			// rather than leave it to expire.
			l.release(ctx, key, owner, now.Add(l.o.TTL))
			if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
				return time.Time{}, fmt.Errorf("store: lease store did not answer within the lock wait: %w", err)
			}
			return time.Time{}, err
		}
		if ok {
			return now, nil
		}
		left = deadline.Sub(l.o.Now())
		if left <= 0 {
			return time.Time{}, ErrLockBusy
		}
		if err := l.o.Sleep(ctx, min(l.jitter(backoff), left)); err != nil {
			return time.Time{}, err
		}
		backoff = min(2*backoff, l.o.MaxBackoff)
	}
}

// jitter returns a pause between MinBackoff and d, so contenders that
// started together do not keep meeting at the store.
func (l *Locker) jitter(d time.Duration) time.Duration {
	spread := d - l.o.MinBackoff
	if spread <= 0 {
		return d
	}
	var b [8]byte
	if _, err := io.ReadFull(l.o.Rand, b[:]); err != nil {
		return d
	}
	return l.o.MinBackoff + time.Duration(binary.BigEndian.Uint64(b[:])%uint64(spread+1))
}

// owner returns a fresh 128-bit owner token: each Lock call is its own
// owner, so a release can only ever free its own lease.
func (l *Locker) owner() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(l.o.Rand, b[:]); err != nil {
		return "", fmt.Errorf("store: lock owner: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// sleep is the real Sleep.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
