package sqlitestore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store/storetest"
)

// testKey is the conformance suite's key; otherKey differs in one byte.
var (
	testKey  = storetest.Key()
	otherKey = storetest.OtherKey()
	t0       = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

func dbPath(t *testing.T) string { return filepath.Join(t.TempDir(), FileName) }

// openT opens path with key and closes it when the test ends.
func openT(t *testing.T, path string, key []byte) *DB {
	t.Helper()
	s, err := Open(context.Background(), path, Options{Key: key, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
