package pgstore

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/storetest"
)

// TestConformance runs the store contract against PostgreSQL: each subtest
// gets its own schema, and a second handle is a second *DB (its own pool,
// as another instance would have) on the same schema.
func TestConformance(t *testing.T) {
	var mu sync.Mutex
	dsns := map[store.Store]string{}
	openAt := func(t *testing.T, dsn string, key []byte) (store.Store, error) {
		s, err := Open(context.Background(), dsn, Options{Key: key})
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { s.Close() })
		mu.Lock()
		dsns[s] = dsn
		mu.Unlock()
		return s, nil
	}
	fresh := func(key []byte) func(t *testing.T) store.Store {
		return func(t *testing.T) store.Store {
			s, err := openAt(t, freshDSN(t), key)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			return s
		}
	}
	reopen := func(t *testing.T, s store.Store, key []byte) (store.Store, error) {
		mu.Lock()
		dsn, ok := dsns[s]
		mu.Unlock()
		if !ok {
			return nil, errors.New("reopen: not a store this test opened")
		}
		return openAt(t, dsn, key)
	}
	storetest.Run(t, fresh(storetest.Key()), storetest.Reopen(reopen), storetest.Keyless(fresh(nil)))
}
