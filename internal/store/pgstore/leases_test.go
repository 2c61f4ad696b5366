package pgstore

import (
	"context"
	"testing"
	"time"
)

// TestLeaseExpiryByServerClock: two instances whose clocks disagree by
// hours still agree on a lease, because the server's clock decides: the
// one whose clock runs ahead cannot take a live lease as expired, and the
// one whose clock lags cannot keep an expired one.
func TestLeaseExpiryByServerClock(t *testing.T) {
	ctx := context.Background()
	dsn := freshDSN(t)
	behind, ahead := openT(t, dsn, Options{}), openT(t, dsn, Options{})
	now := time.Now()
	if ok, err := behind.TakeLease(ctx, "k", "a", now.Add(-3*time.Hour), time.Hour); err != nil || !ok {
		t.Fatalf("TakeLease: %v %v", ok, err)
	}
	if ok, err := ahead.TakeLease(ctx, "k", "b", now.Add(3*time.Hour), time.Hour); err != nil || ok {
		t.Fatalf("an instance whose clock runs ahead took a live lease: %v %v", ok, err)
	}
	if ok, err := behind.TakeLease(ctx, "short", "a", now.Add(-3*time.Hour), time.Millisecond); err != nil || !ok {
		t.Fatalf("TakeLease: %v %v", ok, err)
	}
	time.Sleep(20 * time.Millisecond) // the server's clock passes the expiry
	if ok, err := ahead.TakeLease(ctx, "short", "b", now.Add(-6*time.Hour), time.Hour); err != nil || !ok {
		t.Fatalf("an instance whose clock lags could not take an expired lease: %v %v", ok, err)
	}
}
