package login

import (
	"fmt"
	"math/rand/v2"
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
	many := func(i int) string { return fmt.Sprint("10.0.0.", i%200) }
	got := spendAll(b, many)
	for range 5 {
		lo := b.WithBounds(1_000, 1_000, 100*time.Second)
		lo.Take("z", 2_000) // its first take applies the cut
		b = b.WithBounds(100_000, 100_000, 100*time.Second)
		got += spendAll(b, many)
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

// TestStartBudgetDebtLastsAsLongAsItsRows: what a cut could not take is
// owed as long as the rows spent before it can live (the window before
// the cut), whatever window the cut sets: a cut to a short window raised
// back does not mint a budget, a cut to a long one raised back after the
// rows expired gives the whole size, and a second cut keeps the debt.
func TestStartBudgetDebtLastsAsLongAsItsRows(t *testing.T) {
	now := time.Unix(1e9, 0)
	clock := func() time.Time { return now }
	t.Run("short window cut", func(t *testing.T) {
		b := NewStartBudget(StartBudgetOptions{Total: 100_000, Window: 100 * time.Second, Now: clock})
		got := spendAll(b, oneClient)
		for range 5 {
			lo := b.WithBounds(1_000, 0, time.Second)
			lo.Take("z", 1<<30)
			now = now.Add(1100 * time.Millisecond)
			b = b.WithBounds(100_000, 0, 100*time.Second)
			got += spendAll(b, oneClient)
		}
		if got > 110_000 {
			t.Errorf("in 5.5 s a 100,000 per 100 s total let %d bytes through", got)
		}
	})
	t.Run("long window cut", func(t *testing.T) {
		b := NewStartBudget(StartBudgetOptions{Total: 100_000, Window: 100 * time.Second, Now: clock})
		b.Take("a", 100_000)
		lo := b.WithBounds(1_000, 0, 10_000*time.Second)
		lo.Take("z", 1<<30)
		now = now.Add(5000 * time.Second) // fifty windows of the rows spent
		up := b.WithBounds(100_000, 0, 100*time.Second)
		if !up.Take("a", 50_000) {
			t.Errorf("long after the rows expired the raised-back total holds %.0f (owed %.0f)", up.all.level, up.all.owed)
		}
	})
	t.Run("second cut", func(t *testing.T) {
		b := NewStartBudget(StartBudgetOptions{Total: 100_000, Window: 100 * time.Second, Now: clock})
		b.Take("a", 100_000)
		c1 := b.WithBounds(50_000, 0, 100*time.Second)
		c1.Take("z", 1<<30)
		now = now.Add(50 * time.Second)
		c2 := b.WithBounds(100, 0, 100*time.Second)
		c2.Take("z", 1<<30)
		now = now.Add(10 * time.Second) // within the window of both cuts
		up := b.WithBounds(100_000, 0, 100*time.Second)
		if up.Take("a", 60_000) {
			t.Errorf("a raise back after two cuts gave 60,000 while the rows of 100,000 can still live (level %.0f, owed %.0f)", up.all.level, up.all.owed)
		}
	})
}

// TestStartBudgetClientDebt: the same for one client's own budget (the
// total unbounded): a cut and its revert give nothing, a window change
// refills at the old rate, a debt outlives the address table's sweep, and
// a raise more than a window after the cut gives the whole size.
func TestStartBudgetClientDebt(t *testing.T) {
	now := time.Unix(1e9, 0)
	b := NewStartBudget(StartBudgetOptions{PerAddress: 10_000, Window: 100 * time.Second, MaxAddresses: 2, Now: func() time.Time { return now }})
	if !b.Take("a", 10_000) {
		t.Fatal("a's 10,000 not spent")
	}
	cut := b.WithBounds(0, 1_000, 100*time.Second)
	cut.Take("a", 1) // applies the cut: 9,000 owed
	now = now.Add(time.Second)
	back := b.WithBounds(0, 10_000, 100*time.Second)
	if back.Take("a", 1_000) {
		t.Errorf("a cut and its revert gave a client 1,000 at once (level %.0f)", back.addrs["a"].level)
	}
	// A sweep of the full table (a third address) keeps a's bucket, still
	// owing, though the cut's small size refilled it.
	lo := b.WithBounds(0, 100, 10*time.Second)
	lo.Take("a", 1)
	now = now.Add(20 * time.Second) // full at 100 again, owing till 100 s after the cut
	lo.Take("b", 1)
	lo.Take("c", 1)
	if _, ok := b.addrs["a"]; !ok {
		t.Fatal("the sweep forgot a bucket that still owes")
	}
	now = now.Add(200 * time.Second) // the spent rows' window is over
	full := b.WithBounds(0, 10_000, 100*time.Second)
	if !full.Take("a", 10_000) {
		t.Errorf("more than a window after the cut a's bucket holds %.0f (owed %.0f)", full.addrs["a"].level, full.addrs["a"].owed)
	}
	// The time before a window change refills at the old rate.
	now = now.Add(10 * time.Second) // a tenth of 100 s: 1,000 back
	short := b.WithBounds(0, 10_000, 10*time.Second)
	if short.Take("a", 1_001) || !short.Take("a", 1_000) {
		t.Errorf("a reload to a shorter window refilled a's bucket at the new rate (level %.0f)", short.addrs["a"].level)
	}
}

// TestStartBudgetWindowToggle: a reload that shortens the window and its
// revert do not hand out a fresh budget: until the rows stored under the
// longer window have expired the buckets refill over it, with a cut of
// the size (to the client's and the total's half) as without one.
func TestStartBudgetWindowToggle(t *testing.T) {
	for _, cut := range []int64{100_000, 50_000} {
		t.Run(fmt.Sprint("to ", cut), func(t *testing.T) {
			now := time.Unix(1e9, 0)
			b := NewStartBudget(StartBudgetOptions{Total: 100_000, PerAddress: 100_000, Window: 100 * time.Second, Now: func() time.Time { return now }})
			got := spendAll(b, oneClient)
			for range 5 {
				short := b.WithBounds(cut, cut, time.Second)
				short.Take("a", 1<<30) // applies it, spends nothing
				now = now.Add(1100 * time.Millisecond)
				short.Take("a", 1) // a take under the short window refills too
				b = b.WithBounds(100_000, 100_000, 100*time.Second)
				got += spendAll(b, oneClient)
			}
			// 5.5 s of a 100 s window: 5,500 more at most, in whole takes.
			if got > 106_000 {
				t.Errorf("five shortenings of the window and their reverts let %d bytes of 100 s rows through in 5.5 s", got)
			}
		})
	}
}

// spendAll takes 1,000 bytes at a time from v, for the client addr(i) at
// the i-th take, until it refuses, and says how much it took.
func spendAll(v *StartBudget, addr func(i int) string) int {
	got := 0
	for i := 0; v.Take(addr(i), 1_000); i++ {
		got += 1_000
	}
	return got
}

func oneClient(int) string { return "a" }

// TestStartBudgetReloadsAfterAShorteningEnd: after a shortening
// (100 s to 10 s), reloads that change nothing (every 50 s) do not keep
// the slow refill going: once the 100 s rows have expired the 10 s window
// refills at its own rate.
func TestStartBudgetReloadsAfterAShorteningEnd(t *testing.T) {
	now := time.Unix(1e9, 0)
	b := NewStartBudget(StartBudgetOptions{Total: 100_000, PerAddress: 100_000, Window: 100 * time.Second, Now: func() time.Time { return now }})
	spendAll(b, oneClient)
	b = reloadTo(b, 10*time.Second)
	for range 20 { // 1,000 s: ten old windows
		now = now.Add(50 * time.Second)
		b = reloadTo(b, 10*time.Second) // the same bounds
		spendAll(b, oneClient)
	}
	now = now.Add(10 * time.Second) // one (new) window, nothing stored since
	if got := spendAll(b, oneClient); got < 100_000 {
		t.Errorf("1,000 s after the shortening, 10 s after a spend, a 10 s window gives %d of 100,000", got)
	}
}

// TestStartBudgetSecondShortening: 1,000 s to 100 s at t0, then 100 s to
// 10 s at t0+900: the 1,000 s rows are gone by t0+1,000 and the 100 s ones
// by t0+1,000 too, so from then on the 10 s window refills at its own rate
// (not the 1,000 s one until t0+1,900).
func TestStartBudgetSecondShortening(t *testing.T) {
	now := time.Unix(1e9, 0)
	b := NewStartBudget(StartBudgetOptions{Total: 100_000, PerAddress: 100_000, Window: 1000 * time.Second, Now: func() time.Time { return now }})
	spendAll(b, oneClient)
	b = reloadTo(b, 100*time.Second)
	now = now.Add(900 * time.Second)
	b = reloadTo(b, 10*time.Second)
	spendAll(b, oneClient)
	now = now.Add(200 * time.Second) // t0+1100: every 1000 s and 100 s row expired
	spendAll(b, oneClient)
	now = now.Add(10 * time.Second)
	if got := spendAll(b, oneClient); got < 100_000 {
		t.Errorf("at t0+1110 a 10 s window gives %d of 100,000 10 s after a spend", got)
	}
}

// reloadTo is b reloaded to sizes of 100,000 and window w, applied (a
// take that spends nothing).
func reloadTo(b *StartBudget, w time.Duration) *StartBudget {
	v := b.WithBounds(100_000, 100_000, w)
	v.Take("a", 1<<30)
	return v
}

// TestStartBudgetManyShortenings: 2,000 reloads, each shortening the
// window by a second, 2 s after the last (each old window outlives the
// ones before it), keep at most maxSlow windows, and the buckets never
// refill faster than every window still owed would allow.
func TestStartBudgetManyShortenings(t *testing.T) {
	now := time.Unix(1e9, 0)
	w := 3000 * time.Second
	b := NewStartBudget(StartBudgetOptions{Total: 100_000, PerAddress: 100_000, Window: w, Now: func() time.Time { return now }})
	type owed struct {
		window time.Duration
		until  time.Time
	}
	var all []owed // every shortening, none forgotten
	for range 2_000 {
		now = now.Add(2 * time.Second)
		all = append(all, owed{w, now.Add(w)})
		w -= time.Second
		b = reloadTo(b, w)
		if n := len(b.slow); n > maxSlow {
			t.Fatalf("%d slow windows kept after %d shortenings", n, len(all))
		}
		for _, at := range []time.Time{now, now.Add(500 * time.Second), now.Add(2999 * time.Second)} {
			need := w
			for _, o := range all {
				if at.Before(o.until) && o.window > need {
					need = o.window
				}
			}
			if got := b.refillWindow(at); got < need {
				t.Fatalf("after %d shortenings the buckets refill over %v at +%v; the rows of a %v window are still there", len(all), got, at.Sub(now), need)
			}
		}
	}
	// The merging is conservative but not for ever: once the longest old
	// window's rows are gone the applied window is what refills.
	if got := b.refillWindow(now.Add(3001 * time.Second)); got != w {
		t.Errorf("3,001 s after the last shortening the buckets refill over %v, want the applied %v", got, w)
	}
}

// TestStartBudgetShorteningCoveredByAnEarlier: a shortening whose old
// window an earlier entry covers (as long, lasting longer) adds nothing.
func TestStartBudgetShorteningCoveredByAnEarlier(t *testing.T) {
	now := time.Unix(1e9, 0)
	b := NewStartBudget(StartBudgetOptions{Total: 100_000, PerAddress: 100_000, Window: 1000 * time.Second, Now: func() time.Time { return now }})
	b = reloadTo(b, 10*time.Second)  // owes 1000 s until t0+1000
	b = reloadTo(b, 500*time.Second) // a raise: nothing owed
	now = now.Add(time.Second)       //
	b = reloadTo(b, 10*time.Second)  // 500 s until t0+501: covered
	if len(b.slow) != 1 || b.slow[0].window != 1000*time.Second {
		t.Errorf("slow windows %+v, want only the 1,000 s one", b.slow)
	}
}

// TestStartBudgetMergeLosesLittle: beyond maxSlow the pair merged is the
// one that costs the least refill. Eight week-long windows 30 s apart
// and then a 2-hour one: merging the two shortest (review 7) kept a
// week-long refill for the 2-hour entry's last hour, where exact
// bookkeeping refills over 2 hours: nothing refilled in 54 minutes
// instead of about 45% of the bucket.
func TestStartBudgetMergeLosesLittle(t *testing.T) {
	t0 := time.Unix(1e9, 0)
	now := t0
	short, day := time.Hour+time.Minute, 24*time.Hour
	b := NewStartBudget(StartBudgetOptions{Total: 100_000, PerAddress: 100_000, Window: short, Now: func() time.Time { return now }})
	for k := 1; k <= 8; k++ {
		now = t0.Add(time.Duration(k) * time.Minute)
		b = reloadTo(b, 7*day-time.Duration(k)*30*time.Second) // a lengthening
		b = reloadTo(b, short)                                 // and a shortening: owes the week until t0+7d+k·30s
	}
	now = t0.Add(7*day - time.Hour)
	b = reloadTo(b, 2*time.Hour)
	b = reloadTo(b, short) // the ninth: 2 h until t0+7d+1h
	if len(b.slow) > maxSlow {
		t.Fatalf("%d slow windows", len(b.slow))
	}
	if got := b.refillWindow(t0.Add(7*day + 10*time.Minute)); got != 2*time.Hour {
		t.Errorf("at t0+7d10m the buckets refill over %v; only the 2 h window's rows are still there", got)
	}
	now = t0.Add(7*day + 5*time.Minute)
	spendAll(b, oneClient)
	now = t0.Add(7*day + time.Hour - time.Minute)
	if got := spendAll(b, oneClient); got < 40_000 {
		t.Errorf("54 minutes over a 2 h window refilled %d bytes of 100,000", got)
	}
}

// TestStartBudgetSlowListRandom: random reloads (the same window, any,
// longer, shorter; random sizes and gaps) against exact bookkeeping of
// every shortening: the buckets never refill faster than the rows still
// stored allow, the list stays at most maxSlow long and covering-free.
func TestStartBudgetSlowListRandom(t *testing.T) {
	seeds := 300
	if testing.Short() {
		seeds = 40
	}
	for seed := range seeds {
		r := rand.New(rand.NewPCG(uint64(seed), 7))
		now := time.Unix(1e9, 0)
		applied := time.Duration(1+r.IntN(5000)) * time.Second
		b := NewStartBudget(StartBudgetOptions{Total: 100_000, PerAddress: 1000, Window: applied, Now: func() time.Time { return now }})
		type owed struct {
			window time.Duration
			until  time.Time
		}
		var all []owed
		for step := range 200 {
			now = now.Add(time.Duration(r.IntN(400)) * time.Second)
			var w time.Duration
			switch r.IntN(4) {
			case 0:
				w = applied
			case 1:
				w = time.Duration(1+r.IntN(5000)) * time.Second
			case 2:
				w = applied + time.Duration(r.IntN(3000))*time.Second
			default:
				w = time.Duration(1+r.IntN(int(applied/time.Second))) * time.Second
			}
			if w < applied {
				all = append(all, owed{applied, now.Add(applied)})
			}
			applied = w
			b = b.WithBounds(int64(1+r.IntN(200_000)), int64(1+r.IntN(1000)), w)
			b.Take("x", 1)
			if len(b.slow) > maxSlow {
				t.Fatalf("seed %d step %d: %d slow windows", seed, step, len(b.slow))
			}
			for i, e := range b.slow {
				for j, f := range b.slow {
					if i != j && e.window >= f.window && !e.until.Before(f.until) {
						t.Fatalf("seed %d step %d: %+v covers %+v", seed, step, e, f)
					}
				}
			}
			for d := time.Duration(0); d < 8000*time.Second; d += 61 * time.Second {
				at, need := now.Add(d), applied
				for _, o := range all {
					if at.Before(o.until) && o.window > need {
						need = o.window
					}
				}
				if got := b.refillWindow(at); got < need {
					t.Fatalf("seed %d step %d: refill over %v at +%v, the rows of a %v window are still there", seed, step, got, d, need)
				}
			}
		}
	}
}
