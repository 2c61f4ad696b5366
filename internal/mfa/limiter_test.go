package mfa

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// TestLimiterBoundsParallelChecks: 20 app password checks started at once
// under a capacity of 2 never have more than 2 derivations running (the
// count is taken inside the bounded section), all of them finish, and each
// gets the right answer.
func TestLimiterBoundsParallelChecks(t *testing.T) {
	const capacity, checks = 2, 20
	l := NewLimiter(capacity)
	h := ForUser("alice")
	stored := h.Hash("rightpasswordxxx")
	var inside, most atomic.Int32
	results := make([]error, checks)
	var wg sync.WaitGroup
	for i := range checks {
		wg.Go(func() {
			pw := fmt.Sprintf("wrongpassword%03d", i)
			if i%2 == 0 {
				pw = "rightpasswordxxx"
			}
			var d Derived
			err := l.Run(context.Background(), func() {
				n := inside.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				d = h.Derive(pw)
				inside.Add(-1)
			})
			if err != nil {
				results[i] = err
				return
			}
			if match, ok := d.Matches(stored); !ok || match != (i%2 == 0) {
				results[i] = fmt.Errorf("check %d: Matches = %v, %v", i, match, ok)
			}
		})
	}
	wg.Wait()
	for _, err := range results {
		if err != nil {
			t.Error(err)
		}
	}
	if m := most.Load(); m > capacity {
		t.Errorf("%d derivations ran at once, capacity %d", m, capacity)
	}
	t.Logf("at most %d of %d at once", most.Load(), checks)
}

// TestLimiterCancelledWaiter: with every place taken, a waiter whose
// context is cancelled returns ctx.Err() without running, as does one
// whose context ended before it asked; the places held are not lost.
func TestLimiterCancelledWaiter(t *testing.T) {
	l := NewLimiter(2)
	held, release := make(chan struct{}), make(chan struct{})
	var holders sync.WaitGroup
	for range 2 {
		holders.Go(func() {
			_ = l.Run(context.Background(), func() { held <- struct{}{}; <-release })
		})
	}
	<-held
	<-held

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	ran := false
	go func() { done <- l.Run(ctx, func() { ran = true }) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) || ran {
		t.Errorf("cancelled waiter: err %v, ran %v; want context.Canceled without running", err, ran)
	}
	if err := l.Run(ctx, func() { ran = true }); !errors.Is(err, context.Canceled) || ran {
		t.Errorf("already cancelled: err %v, ran %v", err, ran)
	}

	close(release)
	holders.Wait()
	// Both places came back: two runs hold them again at once (each stays
	// inside until both have signalled).
	again := make(chan struct{})
	for range 2 {
		holders.Go(func() { _ = l.Run(context.Background(), func() { held <- struct{}{}; <-again }) })
	}
	<-held
	<-held
	close(again)
	holders.Wait()
}

func TestNewLimiterDefault(t *testing.T) {
	if got, want := NewLimiter(0).Cap(), runtime.GOMAXPROCS(0); got != want {
		t.Errorf("NewLimiter(0).Cap() = %d, want GOMAXPROCS %d", got, want)
	}
	if got := NewLimiter(3).MemoryBudget(); got != 3*19456*1024 {
		t.Errorf("MemoryBudget = %d", got)
	}
	var none *Limiter
	ran := false
	if err := none.Run(context.Background(), func() { ran = true }); err != nil || !ran || none.Cap() != 0 {
		t.Errorf("nil Limiter: err %v, ran %v", err, ran)
	}
}
