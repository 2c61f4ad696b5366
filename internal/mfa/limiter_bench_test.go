package mfa

import (
	"context"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"
)

// BenchmarkArgon2PeakMemory shows what the Limiter is for: 32 app password
// checks at once (a spray), bounded by a Limiter of GOMAXPROCS places and
// unbounded. Peak heap in use and peak heap held from the OS (HeapSys
// minus HeapReleased, the heap's share of RSS) are sampled during the
// run and reported per run; budget-B is Limiter.MemoryBudget.
//
//	go test ./internal/mfa -run '^$' -bench Argon2PeakMemory -benchtime 3x
func BenchmarkArgon2PeakMemory(b *testing.B) {
	for _, c := range []struct {
		name string
		l    *Limiter
	}{{"bounded", NewLimiter(0)}, {"unbounded", nil}} {
		b.Run(c.name, func(b *testing.B) {
			const checks = 32
			h := ForUser("alice")
			stored := h.Hash("rightpasswordxxx")
			runtime.GC()
			debug.FreeOSMemory()
			stop := sampleHeap()
			for b.Loop() {
				var wg sync.WaitGroup
				for range checks {
					wg.Go(func() {
						var d Derived
						if err := c.l.Run(context.Background(), func() { d = h.Derive("wrongpasswordxxx") }); err != nil {
							b.Error(err)
						}
						if match, ok := d.Matches(stored); match || !ok {
							b.Error("wrong password matched")
						}
					})
				}
				wg.Wait()
			}
			inuse, held := stop()
			b.ReportMetric(float64(inuse), "peak-inuse-B")
			b.ReportMetric(float64(held), "peak-heldheap-B")
			b.ReportMetric(float64(c.l.MemoryBudget()), "budget-B")
		})
	}
}

// sampleHeap polls runtime.ReadMemStats every millisecond until the
// returned function is called, which gives the peaks of HeapInuse and of
// HeapSys-HeapReleased.
func sampleHeap() (stop func() (inuse, held uint64)) {
	done := make(chan struct{})
	var peakInuse, peakHeld uint64
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peakInuse = max(peakInuse, m.HeapInuse)
			peakHeld = max(peakHeld, m.HeapSys-m.HeapReleased)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() (uint64, uint64) {
		close(done)
		wg.Wait()
		return peakInuse, peakHeld
	}
}
