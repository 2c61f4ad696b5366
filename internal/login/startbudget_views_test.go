package login

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestStartBudgetOldViewKeepsARaise: a request still running in the
// generation before a reload takes within the newest bounds, so it does
// not clip the shared buckets back to its own smaller sizes (the raise
// would be lost until they refilled).
func TestStartBudgetOldViewKeepsARaise(t *testing.T) {
	now := time.Unix(1e9, 0)
	old := NewStartBudget(StartBudgetOptions{Total: 10_000, PerAddress: 10_000, Window: 100 * time.Second, Now: func() time.Time { return now }})
	if !old.Take("x", 10_000) {
		t.Fatal("the total was not spent")
	}
	raised := old.WithBounds(100_000, 100_000, 100*time.Second)
	if !raised.Take("a", 1) { // the new generation's first take: 90,000 more
		t.Fatal("the raise gave nothing")
	}
	now = now.Add(time.Millisecond)
	old.Take("b", 1)
	now = now.Add(time.Millisecond)
	if !raised.Take("c", 50_000) {
		t.Errorf("after one take by the old generation the raised total refuses 50,000 (level %.0f)", raised.all.level)
	}
}

// TestStartBudgetCutThenRaiseBack: lowering a bound and raising it back
// (two reloads, a mistaken edit reverted) gives back only what the cut
// took: what it could not take from a spent bucket is owed, not forgotten.
func TestStartBudgetCutThenRaiseBack(t *testing.T) {
	now := time.Unix(1e9, 0)
	b := NewStartBudget(StartBudgetOptions{Total: 100_000, PerAddress: 100_000, Window: 100 * time.Second, Now: func() time.Time { return now }})
	got := 0
	spend := func(v *StartBudget) {
		for i := 0; v.Take(fmt.Sprint("10.0.0.", i%200), 1_000); i++ {
			got += 1_000
		}
	}
	spend(b)
	for range 5 {
		lo := b.WithBounds(1_000, 1_000, 100*time.Second)
		lo.Take("z", 2_000) // its first take applies the cut
		b = b.WithBounds(100_000, 100_000, 100*time.Second)
		spend(b)
	}
	if got > 100_000 {
		t.Errorf("at one instant a total of 100,000 let %d bytes through after 5 cuts raised back", got)
	}
}

// TestStartBudgetShorterWindowRefillsAtTheOldRate: the time before a
// reload that shortens the window refills at the old window's rate, so a
// spent bucket is not full again at once.
func TestStartBudgetShorterWindowRefillsAtTheOldRate(t *testing.T) {
	now := time.Unix(1e9, 0)
	b := NewStartBudget(StartBudgetOptions{Total: 10_000, Window: 100 * time.Second, Now: func() time.Time { return now }})
	if !b.Take("a", 10_000) {
		t.Fatal("the total was not spent")
	}
	now = now.Add(10 * time.Second) // a tenth of the old window: 1,000 back
	short := b.WithBounds(10_000, 0, 10*time.Second)
	if short.Take("a", 1_001) || !short.Take("a", 1_000) {
		t.Errorf("after 10 s of a 100 s window, a reload to a 10 s window refilled more than 1,000 (level %.0f)", short.all.level)
	}
}

// TestStartBudgetViewsRace: views take and prove at once while reloads
// make new ones (go test -race finds a data race here).
func TestStartBudgetViewsRace(t *testing.T) {
	b := NewStartBudget(StartBudgetOptions{Total: 1 << 20, PerAddress: 1 << 16, MaxAddresses: 8, Delay: -1})
	var wg sync.WaitGroup
	views := make(chan *StartBudget, 64)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := b
			for j := range 2000 {
				select {
				case nv := <-views:
					v = nv
				default:
				}
				v.Take(fmt.Sprint("192.0.2.", (i*2000+j)%50), 100)
				v.Proved("u", fmt.Sprint("192.0.2.", j%50))
				_ = v.Window()
			}
		}()
	}
	for k := range 50 {
		views <- b.WithBounds(int64(1<<20+k), int64(1<<10+k*100), time.Duration(k+1)*time.Minute)
	}
	wg.Wait()
}
