package sqlitestore

import (
	"context"
	"fmt"
	"testing"

	"github.com/claimgate/claimgate/internal/store/storetest"
)

// signInMode is one column of the benchmark: "before" is the store before
// issue 12 (every commit flushed, the factor's use and the used code two
// commits, the success's Unlock and SetLock two durable commits), "code"
// per-write durability and UseFactorCode with the success as the lockout
// policy still writes it, "after" with RecordSuccess too.
type signInMode struct {
	name                         string
	syncAll, split, splitSuccess bool
}

// BenchmarkSignInStore is the store work of one whole sign-in
// (storetest.SignIn) on a database in a temporary directory on disk, one
// sign-in per op, by 1 and by 32 workers (each its own user), in each
// signInMode. It reports
// commits/op and flushed/op (the writer's turns at each durability, audit
// batches included) and signins/s. The point is the flushed commits: each
// is an fsync, which bounds the rate on a real disk.
func BenchmarkSignInStore(b *testing.B) {
	for _, mode := range []signInMode{
		{"before", true, true, true},
		{"code", false, false, true},
		{"after", false, false, false},
	} {
		for _, workers := range []int{1, 32} {
			b.Run(fmt.Sprintf("%s/workers=%d", mode.name, workers), func(b *testing.B) {
				benchSignIn(b, mode, workers)
			})
		}
	}
}

func benchSignIn(b *testing.B, mode signInMode, workers int) {
	ctx := context.Background()
	s, err := Open(ctx, b.TempDir()+"/"+FileName, Options{Key: testKey, syncAll: mode.syncAll})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	users := make([]storetest.SignIn, workers)
	for i := range users {
		if users[i], err = storetest.NewSignInUser(ctx, s, fmt.Sprintf("user%02d", i)); err != nil {
			b.Fatal(err)
		}
		users[i].Split, users[i].SplitSuccess = mode.split, mode.splitSuccess
	}
	start := [3]int64{s.w.holds[0].Load(), s.w.holds[1].Load(), s.w.holds[2].Load()}
	b.ResetTimer()
	storetest.RunSignIns(b, s, users, t0)
	if err := s.FlushAudit(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	relaxedN, durableN := s.w.holds[relaxed].Load()-start[relaxed], s.w.holds[durable].Load()-start[durable]
	b.ReportMetric(float64(relaxedN+durableN)/float64(b.N), "commits/op")
	b.ReportMetric(float64(durableN)/float64(b.N), "flushed/op")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signins/s")
}
