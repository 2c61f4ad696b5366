package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// sample is what one phase measured on the generator's side.
type sample struct {
	lat  []time.Duration     // of each successful operation
	errs map[string]int      // failed operations by kind
	why  map[string][]string // the first errors of each kind (up to maxWhy), for the report
	dur  time.Duration       // the measured window
}

func (s *sample) ok() int { return len(s.lat) }

func (s *sample) nerr() int {
	n := 0
	for _, v := range s.errs {
		n += v
	}
	return n
}

func (s *sample) rate() float64 { return float64(s.ok()) / s.dur.Seconds() }

// pct is the q-quantile of the latencies (nearest rank).
func (s *sample) pct(q float64) time.Duration {
	if len(s.lat) == 0 {
		return 0
	}
	l := append([]time.Duration(nil), s.lat...)
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	i := int(q*float64(len(l))+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(l) {
		i = len(l) - 1
	}
	return l[i]
}

// recorder collects results from many goroutines.
type recorder struct {
	mu sync.Mutex
	s  sample
	t0 time.Time // the phase's start, for the time of each kept error
}

func newRecorder() *recorder {
	return &recorder{s: sample{errs: map[string]int{}, why: map[string][]string{}}, t0: time.Now()}
}

// maxWhy is how many messages of each error kind a report keeps: enough
// to tell one cause from several, few enough to read.
const maxWhy = 3

func (r *recorder) add(d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.s.fail(fmt.Errorf("at %.1f s: %w", time.Since(r.t0).Seconds(), err))
		return
	}
	r.s.lat = append(r.s.lat, d)
}

// fail counts err by kind and keeps its message if it is among the
// kind's first.
func (s *sample) fail(err error) {
	k := errKind(err)
	if len(s.why[k]) < maxWhy {
		s.why[k] = append(s.why[k], err.Error())
	}
	s.errs[k]++
}

// op is one measured operation; it returns nil when it succeeded, and
// how long it waited for the generator itself (a free TOTP user), which
// is not the server's latency and is taken off.
type op func(ctx context.Context) (wait time.Duration, err error)

// closedLoop runs workers goroutines, each starting the next operation
// when its last one ended, for d.
func closedLoop(ctx context.Context, workers int, d time.Duration, f op) sample {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	rec := newRecorder()
	var wg sync.WaitGroup
	t0 := rec.t0
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				s := time.Now()
				wait, err := f(ctx)
				if ctx.Err() != nil && err != nil {
					return // cut off by the end of the phase, not a failure
				}
				rec.add(time.Since(s)-wait, err)
			}
		}()
	}
	wg.Wait()
	rec.s.dur = time.Since(t0)
	return rec.s
}

// maxInFlight bounds an open loop's outstanding operations, so a stalled
// server cannot make the generator grow without limit; a start that
// finds the bound reached is counted as an error ("overrun").
const maxInFlight = 2048

// openLoop starts operations at rate per second on a fixed schedule
// whatever the server does, and measures latency from the scheduled
// start, so a stall shows as latency (no coordinated omission).
func openLoop(ctx context.Context, rate float64, d time.Duration, f op) sample {
	rec := newRecorder()
	interval := time.Duration(float64(time.Second) / rate)
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	t0 := rec.t0
	for i := 0; ; i++ {
		at := t0.Add(time.Duration(i) * interval)
		if at.Sub(t0) >= d {
			break
		}
		if w := time.Until(at); w > 0 {
			select {
			case <-time.After(w):
			case <-ctx.Done():
				wg.Wait()
				rec.s.dur = time.Since(t0)
				return rec.s
			}
		}
		select {
		case sem <- struct{}{}:
		default:
			rec.add(0, stepErr("overrun", "%d operations in flight", maxInFlight))
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			wait, err := f(ctx)
			rec.add(time.Since(at)-wait, err)
		}()
	}
	wg.Wait()
	rec.s.dur = d
	return rec.s
}
