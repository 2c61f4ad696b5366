package pgstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/claimgate/claimgate/internal/store/storetest"
)

// BenchmarkSignInStore is the SQLite benchmark's twin on the test
// PostgreSQL (CLAIMGATE_PG_ENV; fsync and synchronous_commit on): one
// whole sign-in's store work per op, by 1 and 32 workers, in the same
// three modes (signInMode; "before" has every commit synchronous).
// commits/op counts the commits
// that wrote (a pipeline, a transaction or a lone statement), flushed/op
// those that waited for the WAL flush.
type signInMode struct {
	name                         string
	syncAll, split, splitSuccess bool
}

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
	tr := &commitTracer{open: map[*pgx.Conn]*txState{}}
	s := openT(b, freshDSN(b), Options{Key: storetest.Key(), tracer: tr, syncAll: mode.syncAll})
	users := make([]storetest.SignIn, workers)
	var err error
	for i := range users {
		if users[i], err = storetest.NewSignInUser(ctx, s, fmt.Sprintf("user%02d", i)); err != nil {
			b.Fatal(err)
		}
		users[i].Split, users[i].SplitSuccess = mode.split, mode.splitSuccess
	}
	now := time.Now()
	start := tr.counts()
	b.ResetTimer()
	storetest.RunSignIns(b, s, users, now)
	if err := s.FlushAudit(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	end := tr.counts()
	syncN, relaxedN := end[0]-start[0], end[1]-start[1]
	b.ReportMetric(float64(syncN+relaxedN)/float64(b.N), "commits/op")
	b.ReportMetric(float64(syncN)/float64(b.N), "flushed/op")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signins/s")
}
