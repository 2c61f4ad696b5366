package main

import (
	"sync"
	"syscall"
	"time"
)

// usage is what the processes spent during one phase, from /proc and
// getrusage, all over the same window as the phase's count: from before
// the first operation starts to after the last one ended (the loops wait
// for every operation in flight, and count what ends after the deadline).
type usage struct {
	cgCPU, dcCPU, genCPU time.Duration
	peakKB               int64 // claimgate's peak RSS during the phase
	// peakSampled is set when the kernel's peak could not be reset for
	// the phase and peakKB is the highest of VmRSS samples instead.
	peakSampled bool
}

// probe reads claimgate's and the DC's /proc; a zero pid (no DC pid
// file) is skipped.
type probe struct {
	cg, dc int
}

// samplePeriod is how often VmRSS is read when VmHWM cannot be reset. A
// request's allocations live for milliseconds to seconds and the heap
// grows in steps the runtime keeps for minutes, so 5 ms misses little;
// the kernel's own peak (the normal case) misses nothing.
const samplePeriod = 5 * time.Millisecond

// around runs f and returns what it cost. Claimgate's peak RSS is the
// kernel's VmHWM, exact and not sampled, reset first (clear_refs) so the
// figure is this phase's own; where the reset is refused, VmRSS is
// sampled every samplePeriod instead, and the report says so.
func (p probe) around(f func()) usage {
	var u usage
	var cg0, dc0 time.Duration
	var stop chan struct{}
	var sampled sync.WaitGroup
	if p.cg != 0 {
		if resetPeak(p.cg) != nil {
			u.peakSampled = true
			stop = make(chan struct{})
			sampled.Add(1)
			go func() {
				defer sampled.Done()
				t := time.NewTicker(samplePeriod)
				defer t.Stop()
				for {
					if kb, err := memKB(p.cg, "VmRSS"); err == nil {
						u.peakKB = max(u.peakKB, kb)
					}
					select {
					case <-stop:
						return
					case <-t.C:
					}
				}
			}()
		}
		cg0, _ = cpuOf(p.cg)
	}
	if p.dc != 0 {
		dc0, _ = treeCPU(p.dc)
	}
	gen0 := selfCPU()
	f()
	u.genCPU = selfCPU() - gen0
	if p.cg != 0 {
		c, _ := cpuOf(p.cg)
		u.cgCPU = c - cg0
		if stop != nil {
			close(stop)
			sampled.Wait()
		} else {
			u.peakKB, _ = memKB(p.cg, "VmHWM")
		}
	}
	if p.dc != 0 {
		c, _ := treeCPU(p.dc)
		u.dcCPU = c - dc0
	}
	return u
}

// selfCPU is the generator's own CPU time so far (user + system, every
// thread): it shares the machine with what it measures.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
