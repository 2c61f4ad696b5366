package sqlitestore

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/storetest"
)

// TestConformance runs the store contract against SQLite; a second handle
// is a second *DB (its own connection pool) on the same file.
func TestConformance(t *testing.T) {
	var mu sync.Mutex
	paths := map[store.Store]string{}
	openAt := func(t *testing.T, path string, key []byte) (store.Store, error) {
		s, err := Open(context.Background(), path, Options{Key: key})
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { s.Close() })
		mu.Lock()
		paths[s] = path
		mu.Unlock()
		return s, nil
	}
	fresh := func(key []byte) func(t *testing.T) store.Store {
		return func(t *testing.T) store.Store {
			s, err := openAt(t, dbPath(t), key)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			return s
		}
	}
	reopen := func(t *testing.T, s store.Store, key []byte) (store.Store, error) {
		mu.Lock()
		path, ok := paths[s]
		mu.Unlock()
		if !ok {
			return nil, errors.New("reopen: not a store this test opened")
		}
		return openAt(t, path, key)
	}
	storetest.Run(t, fresh(storetest.Key()), storetest.Reopen(reopen), storetest.Keyless(fresh(nil)))
}
