package sqlitestore

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
)

// TestUseStepRetiresEarlierSteps: a step is fresh only if it is later than
// every step used before for that user and secret, and the record survives
// a restart.
func TestUseStepRetiresEarlierSteps(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s := openT(t, path, testKey)
	for _, c := range []struct {
		user, factor string
		step         int64
		fresh        bool
	}{
		{"alice", "file-totp", 100, true},
		{"alice", "file-totp", 100, false}, // replay
		{"alice", "file-totp", 98, false},  // earlier, though never used itself
		{"alice", "file-totp", 99, false},
		{"alice", "file-totp", 101, true},
		{"bob", "file-totp", 50, true}, // another user
		{"alice", "other", 50, true},   // another secret
		{"alice", "file-totp", 100, false},
	} {
		fresh, err := s.UseStep(ctx, c.user, c.factor, c.step)
		if err != nil || fresh != c.fresh {
			t.Fatalf("UseStep(%s, %s, %d) = %v, %v; want %v", c.user, c.factor, c.step, fresh, err, c.fresh)
		}
	}
	s.Close()
	s = openT(t, path, testKey)
	if fresh, err := s.UseStep(ctx, "alice", "file-totp", 100); fresh || err != nil {
		t.Fatalf("after a restart an earlier step was fresh (%v, %v)", fresh, err)
	}
	if fresh, _ := s.UseStep(ctx, "alice", "file-totp", 102); !fresh {
		t.Fatal("after a restart a later step was refused")
	}
}

// TestUseStepConcurrentOneWinner: of many simultaneous uses of one step
// exactly one is fresh.
func TestUseStepConcurrentOneWinner(t *testing.T) {
	ctx := context.Background()
	s := openT(t, dbPath(t), testKey)
	var fresh atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ok, err := s.UseStep(ctx, "alice", "file-totp", 58379000)
			if err != nil {
				t.Error(err)
			}
			if ok {
				fresh.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if fresh.Load() != 1 {
		t.Fatalf("fresh = %d of 20, want exactly 1", fresh.Load())
	}
}
