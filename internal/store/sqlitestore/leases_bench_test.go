package sqlitestore

import (
	"context"
	"testing"
	"time"
)

// BenchmarkLeasePair is one lock's store work, a TakeLease and its
// ReleaseLease, with the leases in the file (as before: two relaxed
// commits through the single writer) and on a serving DB (in memory). A
// sign-in takes two locks at each of its two credential POSTs.
func BenchmarkLeasePair(b *testing.B) {
	for _, serve := range []bool{false, true} {
		name := "file"
		if serve {
			name = "serve"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			s, err := Open(ctx, b.TempDir()+"/"+FileName, Options{Key: testKey, Serve: serve})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			before := s.w.holds[relaxed].Load() + s.w.holds[durable].Load()
			for b.Loop() {
				if ok, err := s.TakeLease(ctx, "user\x00alice", "owner", time.Now(), time.Minute); err != nil || !ok {
					b.Fatal(ok, err)
				}
				if err := s.ReleaseLease(ctx, "user\x00alice", "owner"); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(s.w.holds[relaxed].Load()+s.w.holds[durable].Load()-before)/float64(b.N), "commits/op")
		})
	}
}
