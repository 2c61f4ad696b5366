package pgstore

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/claimgate/claimgate/internal/store/storetest"
)

// BenchmarkSignInStore is the SQLite benchmark's twin on the test
// PostgreSQL (CLAIMGATE_PG_ENV; fsync and synchronous_commit on):
// storetest.BenchSignIns, "before" with every commit synchronous.
// commits/op counts the commits that wrote (a pipeline, a transaction or
// a lone statement), flushed/op those that waited for the WAL flush.
func BenchmarkSignInStore(b *testing.B) {
	storetest.BenchSignIns(b, func(b *testing.B, m storetest.SignInMode) storetest.BenchStore {
		tr := &commitTracer{open: map[*pgx.Conn]*txState{}}
		s := openT(b, freshDSN(b), Options{Key: storetest.Key(), tracer: tr, syncAll: m.SyncAll})
		return storetest.BenchStore{Store: s, FlushAudit: s.FlushAudit, Commits: func() (int64, int64) {
			c := tr.counts()
			return c[0] + c[1], c[0]
		}}
	}, time.Now)
}
