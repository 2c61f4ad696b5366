package sqlitestore

import (
	"context"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store/storetest"
)

// BenchmarkSignInStore is the store work of one whole sign-in
// (storetest.BenchSignIns) on a database in a temporary directory on
// disk. commits/op and flushed/op are the writer's turns at each
// durability, audit batches included. "serve" is "after" on a store opened
// as claimgate serve opens it (attempts and leases in memory, sessions read
// from the cache).
func BenchmarkSignInStore(b *testing.B) {
	storetest.BenchSignIns(b, func(b *testing.B, m storetest.SignInMode) storetest.BenchStore {
		s, err := Open(context.Background(), b.TempDir()+"/"+FileName, Options{Key: testKey, syncAll: m.SyncAll, Serve: m.Serve})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return storetest.BenchStore{Store: s, FlushAudit: s.FlushAudit, Commits: func() (int64, int64) {
			r, d := s.w.holds[relaxed].Load(), s.w.holds[durable].Load()
			return r + d, d
		}}
	}, func() time.Time { return t0 }, storetest.SignInMode{Name: "serve", Serve: true})
}
