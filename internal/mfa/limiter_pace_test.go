package mfa

import (
	"context"
	"sync"
	"testing"
	"time"
)

// sleepLog records what a Pacer slept instead of sleeping.
type sleepLog struct {
	mu    sync.Mutex
	slept []time.Duration
	block chan struct{} // when set, each sleep waits for it to close
}

func (s *sleepLog) sleep(d time.Duration) {
	s.mu.Lock()
	s.slept = append(s.slept, d)
	b := s.block
	s.mu.Unlock()
	if b != nil {
		<-b
	}
}

func (s *sleepLog) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.slept...)
}

// TestPacerDrawsObserved: a Pacer with nothing observed sleeps nothing
// and says so; afterwards it sleeps exactly an observed duration (drawn
// by the injected IntN), bounded by the floor and the ceiling.
func TestPacerDrawsObserved(t *testing.T) {
	var s sleepLog
	pick := 0
	p := NewPacer(PacerOptions{Samples: 4, Floor: 2 * time.Millisecond, Ceiling: time.Second, Sleep: s.sleep,
		IntN: func(n int) int { return pick % n }})
	if p.Pace(context.Background()) || len(s.all()) != 0 {
		t.Fatal("paced with nothing observed")
	}
	for _, d := range []time.Duration{10 * time.Millisecond, time.Microsecond, time.Hour} {
		p.Observe(d)
	}
	want := []time.Duration{10 * time.Millisecond, 2 * time.Millisecond, time.Second}
	for i := range want {
		pick = i
		if !p.Pace(context.Background()) {
			t.Fatal("Pace reported nothing observed")
		}
	}
	if got := s.all(); len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("slept %v, want %v (observed, floored, capped)", got, want)
	}
	// The ring keeps the last Samples: the first three are gone.
	for range 4 {
		p.Observe(7 * time.Millisecond)
	}
	for pick = range 4 {
		p.Pace(context.Background())
	}
	for _, d := range s.all()[3:] {
		if d != 7*time.Millisecond {
			t.Errorf("slept %v after the ring was refilled with 7ms", d)
		}
	}
	if st := p.Stats(); st.Observed != 7 || st.Paced != 7 || st.Skipped != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestPacerBoundsWaiters: with MaxWaiters asleep, the next Pace returns at
// once without sleeping (counted as skipped), so a flood cannot grow the
// sleepers without bound.
func TestPacerBoundsWaiters(t *testing.T) {
	s := sleepLog{block: make(chan struct{})}
	p := NewPacer(PacerOptions{MaxWaiters: 2, Sleep: s.sleep})
	p.Observe(time.Millisecond)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { p.Pace(context.Background()) })
	}
	for p.Stats().Sleeping != 2 || len(s.all()) != 2 {
		time.Sleep(time.Millisecond)
	}
	if !p.Pace(context.Background()) {
		t.Fatal("Pace reported nothing observed")
	}
	if st := p.Stats(); st.Skipped != 1 || len(s.all()) != 2 {
		t.Errorf("third Pace with 2 asleep: stats %+v, %d sleeps; want it skipped", st, len(s.all()))
	}
	close(s.block)
	wg.Wait()
	if st := p.Stats(); st.Sleeping != 0 {
		t.Errorf("%d still asleep", st.Sleeping)
	}
}

// TestLimiterPaceDerivesOnlyToSeed: Limiter.Pace derives only while
// nothing was measured; its own derivation is measured, so every later
// Pace sleeps that long and derives nothing, even if no Run ever happens
// (nobody has a live app password). A Run's duration, its wait included,
// joins the samples.
func TestLimiterPaceDerivesOnlyToSeed(t *testing.T) {
	var s sleepLog
	var mu sync.Mutex
	clock := time.Unix(0, 0)
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(5 * time.Millisecond) // every reading 5 ms later
		return clock
	}
	l := NewLimiter(1, WithClock(now, s.sleep))
	derived := 0
	l.Pace(context.Background(), func() { derived++ })
	if derived != 1 || len(s.all()) != 0 {
		t.Fatalf("first Pace: %d derivations, slept %v; want it to derive once (nothing measured)", derived, s.all())
	}
	if st := l.PaceStats(); st.Observed != 1 {
		t.Fatalf("observed %d after the seeding derivation, want 1", st.Observed)
	}
	for range 100 {
		l.Pace(context.Background(), func() { derived++ })
	}
	// Pace read the clock before and after the derivation, timed around
	// it: 15 ms from start to end.
	got := s.all()
	if derived != 1 || len(got) != 100 {
		t.Fatalf("after the seed: %d derivations, %d sleeps; want 1 and 100", derived, len(got))
	}
	for _, d := range got {
		if d != 15*time.Millisecond {
			t.Fatalf("paced %v, want the seeding derivation's 15ms", d)
		}
	}
	if err := l.Run(context.Background(), func() {}); err != nil {
		t.Fatal(err)
	}
	if st := l.PaceStats(); st.Observed != 2 {
		t.Errorf("observed %d after a Run, want 2", st.Observed)
	}
	if st := l.Stats(); st.Ran != 2 {
		t.Errorf("Ran %d, want 2 (the seed and the Run)", st.Ran)
	}
}

// TestPacerPadTo: PadTo sleeps what is left of a drawn duration after
// elapsed, nothing when elapsed is already longer, and reports false at
// once before anything was observed.
func TestPacerPadTo(t *testing.T) {
	var s sleepLog
	p := NewPacer(PacerOptions{Sleep: s.sleep})
	if p.PadTo(context.Background(), 0) || len(s.all()) != 0 {
		t.Fatalf("PadTo before any Observe: slept %v", s.all())
	}
	p.Observe(50 * time.Millisecond)
	if !p.PadTo(context.Background(), 20*time.Millisecond) || !p.PadTo(context.Background(), 80*time.Millisecond) {
		t.Fatal("PadTo after Observe returned false")
	}
	if got := s.all(); len(got) != 1 || got[0] != 30*time.Millisecond {
		t.Errorf("slept %v, want [30ms] (50 less 20, and nothing for 80)", got)
	}
	if st := p.Stats(); st.Padded != 1 || st.Paced != 0 {
		t.Errorf("stats %+v, want 1 padded", st)
	}
}
