package sqlitestore

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"
)

// testKey is a fixed 32-byte key; otherKey differs in one byte.
var (
	testKey  = bytes.Repeat([]byte{0x42}, KeySize)
	otherKey = append(bytes.Repeat([]byte{0x42}, KeySize-1), 0x43)
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
