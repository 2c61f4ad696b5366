package lockout

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/sqlitestore"
)

// writeLog records which Counters calls were made.
type writeLog struct {
	*sqlitestore.DB
	calls []string
}

func (w *writeLog) Unlock(ctx context.Context, key string) error {
	w.calls = append(w.calls, "Unlock")
	return w.DB.Unlock(ctx, key)
}

func (w *writeLog) SetLock(ctx context.Context, key string, until time.Time, level int) error {
	w.calls = append(w.calls, "SetLock")
	return w.DB.SetLock(ctx, key, until, level)
}

func (w *writeLog) Lock(ctx context.Context, key string) (time.Time, int, error) {
	w.calls = append(w.calls, "Lock")
	return w.DB.Lock(ctx, key)
}

func (w *writeLog) LockRecords(ctx context.Context, keys []string) ([]store.LockEntry, error) {
	w.calls = append(w.calls, "LockRecords")
	return w.DB.LockRecords(ctx, keys)
}

func (w *writeLog) TakeAttempts(ctx context.Context, cs []store.AttemptCounter, now time.Time, window time.Duration) ([]int, int, error) {
	w.calls = append(w.calls, "TakeAttempts")
	return w.DB.TakeAttempts(ctx, cs, now, window)
}

func (w *writeLog) RecordSuccess(ctx context.Context, forget, mark string, markUntil time.Time) error {
	w.calls = append(w.calls, "RecordSuccess")
	return w.DB.RecordSuccess(ctx, forget, mark, markUntil)
}

// loggedFixture is a fixture whose Limiter's store calls are logged.
func loggedFixture(t *testing.T) (*fixture, *writeLog) {
	t.Helper()
	f := newFixture(t, DefaultPolicy())
	w := &writeLog{DB: f.db}
	l, err := New(w, DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	f.l = l
	return f, w
}

// TestSucceedIsOneWrite: a whole sign-in costs the counters one store
// operation (the pair forgotten and the address marked familiar together),
// and it still does both.
func TestSucceedIsOneWrite(t *testing.T) {
	f, w := loggedFixture(t)
	l := f.l
	f.failUntilLocked("alice", addrA)
	w.calls = nil
	if err := l.Succeed(f.ctx, "alice", addrA, f.now); err != nil {
		t.Fatal(err)
	}
	if len(w.calls) != 1 || w.calls[0] != "RecordSuccess" {
		t.Errorf("Succeed made %v; want exactly one RecordSuccess", w.calls)
	}
	if d := f.check("alice", addrA); !d.Allowed {
		t.Errorf("pair still locked after Succeed: %+v", d)
	}
	if ok, err := l.Familiar(f.ctx, "alice", addrA, f.now); err != nil || !ok {
		t.Errorf("address not familiar after Succeed: %v %v", ok, err)
	}
}

// TestReserveIsOneReadOneWrite: an attempt costs the counters one read
// (every lock that may refuse it and the familiar-address mark) and one
// write (its place in every counter), from a familiar address or not; a
// refused one costs the read only.
func TestReserveIsOneReadOneWrite(t *testing.T) {
	f, w := loggedFixture(t)
	l := f.l
	if err := l.Succeed(f.ctx, "alice", addrA, f.now); err != nil {
		t.Fatal(err)
	}
	for _, a := range []netip.Addr{addrA, addrB} {
		w.calls = nil
		r, d, err := l.Reserve(f.ctx, "alice", a, KindPassword, f.now)
		if err != nil || !d.Allowed {
			t.Fatalf("%v: %+v %v", a, d, err)
		}
		if want := []string{"LockRecords", "TakeAttempts"}; !slices.Equal(w.calls, want) {
			t.Errorf("Reserve from %v (familiar %v) made %v; want %v", a, r.Familiar(), w.calls, want)
		}
		if r.Familiar() != (a == addrA) {
			t.Errorf("Reserve from %v: familiar %v", a, r.Familiar())
		}
	}
	f.failUntilLocked("bob", addrB)
	w.calls = nil
	if _, d, err := l.Reserve(f.ctx, "bob", addrB, KindPassword, f.now); err != nil || d.Allowed {
		t.Fatalf("locked pair allowed: %+v %v", d, err)
	}
	if want := []string{"LockRecords"}; !slices.Equal(w.calls, want) {
		t.Errorf("refused Reserve made %v; want %v", w.calls, want)
	}
}
