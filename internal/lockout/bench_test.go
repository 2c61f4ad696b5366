package lockout

import (
	"testing"
	"time"
)

// BenchmarkReservePass is the throttle's cost for a right credential: the
// attempt is counted in every counter that applies (one transaction) and
// given back (one statement), on the real SQLite store (synchronous=FULL).
func BenchmarkReservePass(b *testing.B) {
	f := newFixture(b, DefaultPolicy())
	for b.Loop() {
		r, d, err := f.l.Reserve(f.ctx, "alice", addrA, KindPassword, f.now)
		if err != nil || !d.Allowed {
			b.Fatal(d, err)
		}
		if err := f.l.Pass(f.ctx, r); err != nil {
			b.Fatal(err)
		}
		f.now = f.now.Add(time.Millisecond)
	}
}
