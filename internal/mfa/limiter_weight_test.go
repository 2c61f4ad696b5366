package mfa

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// hashWithMemory is a well-formed argon2id PHC string of m KiB. It is
// never derived: the tests only weigh it, so no test allocates 190 MiB.
func hashWithMemory(m int) string {
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=1,p=1$%s$%s", m,
		enc.EncodeToString([]byte("0123456789abcdef")), enc.EncodeToString(make([]byte, 32)))
}

func TestLimiterPlaces(t *testing.T) {
	own, err := HashPassword("pw", nil)
	if err != nil {
		t.Fatal(err)
	}
	l := NewLimiter(4)
	for _, c := range []struct {
		name, hash string
		want       int
	}{
		{"claimgate's own parameters", own, 1},
		{"less memory", hashWithMemory(8192), 1},
		{"one KiB over", hashWithMemory(Argon2Memory + 1), 2},
		{"three times", hashWithMemory(3 * Argon2Memory), 3},
		{"more than the whole budget, capped", hashWithMemory(10 * Argon2Memory), 4},
		{"bcrypt", "$2b$10$abcdefghijklmnopqrstuu5Ev5MyHzUfb1GmHIKyPErjzoHmA1o1W", 1},
		{"not a hash", "plain text", 1},
		{"argon2id over CheckPassword's limit", hashWithMemory(maxArgon2Memory + 1), 1},
	} {
		if got := l.places(c.hash); got != c.want {
			t.Errorf("%s: %d places, want %d", c.name, got, c.want)
		}
	}
}

// TestLimiterWeighsByMemory: a check against a hash of twice claimgate's
// memory waits while only one place is free, holding that one; when its
// request ends it gives the gathered place back; it runs once two are
// free, holding both. A hash bigger than the whole budget takes every
// place and still runs (no deadlock on a capped weight).
func TestLimiterWeighsByMemory(t *testing.T) {
	l := NewLimiter(3)
	double, huge := hashWithMemory(2*Argon2Memory), hashWithMemory(10*Argon2Memory)
	held, release := make(chan struct{}), make(chan struct{})
	var holders sync.WaitGroup
	for range 2 {
		holders.Go(func() { _ = l.Run(context.Background(), func() { held <- struct{}{}; <-release }) })
	}
	<-held
	<-held

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	ran := false
	go func() { done <- l.RunFor(ctx, double, func() { ran = true }) }()
	for len(l.slots) < 3 { // the free place gathered; the second is missing
		runtime.Gosched()
	}
	if w := l.Waiting(); w != 1 {
		t.Errorf("Waiting = %d, want 1", w)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) || ran {
		t.Errorf("double-memory check with one place free: err %v, ran %v; want context.Canceled without running", err, ran)
	}
	if n := len(l.slots); n != 2 || l.Waiting() != 0 {
		t.Errorf("after giving up: %d places taken, %d waiting; want 2 (the holders'), 0", n, l.Waiting())
	}

	close(release)
	holders.Wait()
	for _, c := range []struct {
		name string
		hash string
		want int
	}{{"double", double, 2}, {"huge", huge, 3}} {
		taken := -1
		if err := l.RunFor(context.Background(), c.hash, func() { taken = len(l.slots) }); err != nil {
			t.Fatal(err)
		}
		if taken != c.want {
			t.Errorf("%s: ran holding %d places, want %d", c.name, taken, c.want)
		}
	}
	if n := len(l.slots); n != 0 {
		t.Errorf("%d places still taken", n)
	}
}

// TestLimiterWeightedBound: checks of mixed memory (1 to 10 times
// claimgate's own) started at once never hold more than the budget's
// places together, and all of them finish.
func TestLimiterWeightedBound(t *testing.T) {
	const capacity, checks = 4, 60
	l := NewLimiter(capacity)
	hashes := []string{hashWithMemory(Argon2Memory), hashWithMemory(2 * Argon2Memory),
		hashWithMemory(3 * Argon2Memory), hashWithMemory(10 * Argon2Memory)}
	var inside, most, finished atomic.Int32
	var wg sync.WaitGroup
	for i := range checks {
		wg.Go(func() {
			h := hashes[i%len(hashes)]
			w := int32(l.places(h))
			err := l.RunFor(context.Background(), h, func() {
				n := inside.Add(w)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				runtime.Gosched()
				inside.Add(-w)
			})
			if err != nil {
				t.Error(err)
				return
			}
			finished.Add(1)
		})
	}
	wg.Wait()
	if m := most.Load(); m > capacity {
		t.Errorf("%d places' worth of memory at once, capacity %d", m, capacity)
	}
	if n := finished.Load(); n != checks {
		t.Errorf("%d of %d checks finished", n, checks)
	}
	t.Logf("at most %d of %d places in use", most.Load(), capacity)
}
