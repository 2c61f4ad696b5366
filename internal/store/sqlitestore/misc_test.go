package sqlitestore

import (
	"context"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

// TestSessionIDStoredHashed: the raw session ID is nowhere in the table,
// only its SHA-256.
func TestSessionIDStoredHashed(t *testing.T) {
	ctx := context.Background()
	s := openT(t, dbPath(t), testKey)
	if err := s.CreateSession(ctx, "sid-1", []byte(`{"step":1}`), t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	var hashed, raw int
	s.rawRow(`SELECT COUNT(*) FROM sessions WHERE id_hash = ?`, store.HashID("sid-1")).Scan(&hashed)
	s.rawRow(`SELECT COUNT(*) FROM sessions WHERE id_hash = ?`, []byte("sid-1")).Scan(&raw)
	if hashed != 1 || raw != 0 {
		t.Errorf("rows under SHA-256(id) = %d, under the raw id = %d; want 1 and 0", hashed, raw)
	}
}
