package lockout

import (
	"context"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store/sqlitestore"
)

// writeLog records which Counters writes were made.
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

func (w *writeLog) RecordSuccess(ctx context.Context, forget, mark string, markUntil time.Time) error {
	w.calls = append(w.calls, "RecordSuccess")
	return w.DB.RecordSuccess(ctx, forget, mark, markUntil)
}

// TestSucceedIsOneWrite: a whole sign-in costs the counters one store
// operation (the pair forgotten and the address marked familiar together),
// and it still does both.
func TestSucceedIsOneWrite(t *testing.T) {
	f := newFixture(t, DefaultPolicy())
	w := &writeLog{DB: f.db}
	l, err := New(w, DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	f.l = l
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
