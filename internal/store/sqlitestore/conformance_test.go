package sqlitestore

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/storetest"
)

// TestConformance runs the store contract against SQLite, opened as the
// admin CLI and the tests open it (leases in the file) and as claimgate
// serve does (Options.Serve: the serve lock, leases in memory). A second
// handle is a second *DB (its own connection pool) on the same file; with
// Serve it shares the first's lease table, as a second pool of the one
// serving process would (the serve lock keeps any other DB from taking
// leases on the file: TestServeLock*). A reopen after Close is a real
// restart, with the memory of the first gone.
func TestConformance(t *testing.T) {
	for _, serve := range []bool{false, true} {
		name := "FileLeases"
		if serve {
			name = "Serve"
		}
		t.Run(name, func(t *testing.T) { conformance(t, serve) })
	}
}

func conformance(t *testing.T, serve bool) {
	var mu sync.Mutex
	paths := map[store.Store]string{}
	servers := map[string]*DB{} // with serve: the DB holding each path's serve lock
	openAt := func(t *testing.T, path string, key []byte, first *DB) (store.Store, error) {
		s, err := Open(context.Background(), path, Options{Key: key, Serve: serve, leasesOf: first})
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { s.Close() })
		mu.Lock()
		paths[s] = path
		if serve && first == nil {
			servers[path] = s
		}
		mu.Unlock()
		return s, nil
	}
	fresh := func(key []byte) func(t *testing.T) store.Store {
		return func(t *testing.T) store.Store {
			s, err := openAt(t, dbPath(t), key, nil)
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
		var first *DB
		if serve {
			// While the path's server runs, a second handle shares its
			// tables; once it is closed the reopen is a real restart,
			// with fresh tables in memory (what a test of durability means).
			mu.Lock()
			first = servers[path]
			mu.Unlock()
			if first.isClosed() {
				first = nil
			}
		}
		return openAt(t, path, key, first)
	}
	storetest.Run(t, fresh(storetest.Key()), storetest.Reopen(reopen), storetest.Keyless(fresh(nil)))
}
