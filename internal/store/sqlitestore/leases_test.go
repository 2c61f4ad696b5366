package sqlitestore

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

// TestLeaseKeysNotAtRest: a lease key carries a session cookie, and only
// its hash reaches the file, next to a control string that does (the
// owner), so the search is known to see lease rows.
func TestLeaseKeysNotAtRest(t *testing.T) {
	path := dbPath(t)
	s := openT(t, path, nil)
	const cookie, owner = "session-cookie-value-lease-4f7a", "owner-control-9c1e"
	if ok, err := s.TakeLease(context.Background(), "session\x00"+cookie, owner, time.Now(), time.Hour); err != nil || !ok {
		t.Fatalf("TakeLease: %v %v", ok, err)
	}
	var all []byte
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if !bytes.Contains(all, []byte(owner)) {
		t.Fatal("the owner is not in the file: the search does not see lease rows")
	}
	if bytes.Contains(all, []byte(cookie)) {
		t.Error("a session cookie in a lease key is stored in the clear")
	}
	if !bytes.Contains(all, store.HashID("session\x00"+cookie)) {
		t.Error("the lease key's hash is not what the file keeps")
	}
}
