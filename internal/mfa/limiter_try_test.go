package mfa

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"
)

// holdAll takes every place of l until the returned function is called.
func holdAll(t *testing.T, l *Limiter) (release func()) {
	t.Helper()
	held, done := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = l.RunFor(context.Background(), wideHash(t, l.Cap()), func() { close(held); <-done })
	})
	<-held
	return sync.OnceFunc(func() { close(done); wg.Wait() })
}

// wideHash is an argon2id hash whose memory takes n places.
func wideHash(t *testing.T, n int) string {
	t.Helper()
	return "$argon2id$v=19$m=" + strconv.Itoa(n*Argon2Memory) + ",t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"
}

// TestTryRunNeverWaits: with every place taken, TryRun and TryRunFor
// return false at once without calling f and without queueing; with a
// place free they run f.
func TestTryRunNeverWaits(t *testing.T) {
	l := NewLimiter(2)
	if l.places(wideHash(t, 2)) != 2 {
		t.Fatalf("wide hash takes %d places, want 2", l.places(wideHash(t, 2)))
	}
	release := holdAll(t, l)
	called := false
	if l.TryRun(func() { called = true }) || l.TryRunFor(wideHash(t, 2), func() { called = true }) || called {
		t.Error("TryRun ran f with every place taken")
	}
	if l.Waiting() != 0 {
		t.Errorf("%d waiting after TryRun", l.Waiting())
	}
	release()
	if !l.TryRun(func() { called = true }) || !called {
		t.Error("TryRun did not run f with the places free")
	}
	if !l.TryRunFor(wideHash(t, 2), func() {}) {
		t.Error("TryRunFor did not run with the places free")
	}
	if len(l.slots) != 0 {
		t.Errorf("%d places still taken", len(l.slots))
	}
}

// TestSpendSleepsTheLastDerivation: a decoy that finds no free place
// sleeps what the last derivation measured (injected clock), runs nothing
// and queues nothing.
func TestSpendSleepsTheLastDerivation(t *testing.T) {
	clock := time.Unix(0, 0)
	var slept []time.Duration
	l := NewLimiter(1, WithClock(func() time.Time { return clock }, func(d time.Duration) { slept = append(slept, d) }))
	if err := l.Run(context.Background(), func() { clock = clock.Add(42 * time.Millisecond) }); err != nil {
		t.Fatal(err)
	}
	release := holdAll(t, l)
	ran := false
	l.Spend(context.Background(), "", func() { ran = true })
	release()
	if ran || len(slept) != 1 || slept[0] != 42*time.Millisecond {
		t.Errorf("decoy with no place: ran %v, slept %v; want slept [42ms]", ran, slept)
	}
	if st := l.Stats(); st.Slept != 1 || st.Sleeping != 0 {
		t.Errorf("stats %+v, want 1 slept, none sleeping", st)
	}
	l.Spend(context.Background(), "", func() { ran = true })
	if !ran || len(slept) != 1 {
		t.Errorf("decoy with a free place: ran %v, slept %v; want it to derive", ran, slept)
	}
}

// TestRunGivesUpAfterMaxWait: a check that waits for a place longer than
// MaxWait returns ErrBusy without running, and leaves no place taken; a
// cancelled one still returns its context's error.
func TestRunGivesUpAfterMaxWait(t *testing.T) {
	l := NewLimiter(2, WithMaxWait(time.Millisecond))
	release := holdAll(t, l)
	for _, n := range []string{"", wideHash(t, 2)} {
		if err := l.RunFor(context.Background(), n, func() { t.Error("ran past a full Limiter") }); !errors.Is(err, ErrBusy) {
			t.Errorf("places %d: err %v, want ErrBusy", l.places(n), err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Run(ctx, func() {}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	release()
	if len(l.slots) != 0 || l.Waiting() != 0 {
		t.Errorf("%d places taken, %d waiting after the timeouts", len(l.slots), l.Waiting())
	}
}
