package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/store"
)

// testAuditCloseWritesAll: audit appends are batched, so a record may be
// queued when AppendAudit returns; a clean Close must still store every
// one. Appended from several goroutines, the store closed at once, and
// counted through a new handle that never saw them queued.
func testAuditCloseWritesAll(t *testing.T, su *suite) {
	s := su.open(t)
	s2 := su.second(t, s, Key()) // opened before the close, to read after it
	const workers, each = 8, 100
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				rec := audit.Record{Time: t0, Event: audit.EventFirstFactorFailed, Outcome: audit.OutcomeFailure,
					User: fmt.Sprint("u", w), RequestID: fmt.Sprint(w*each + i)}
				if err := s.AppendAudit(ctx(), rec); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	recs, err := s2.ListAudit(ctx(), store.AuditFilter{Limit: 2 * workers * each})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != workers*each {
		t.Fatalf("after Close, another handle reads %d audit records, want %d", len(recs), workers*each)
	}
}
