package sqlitestore

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

func TestUseCodeConcurrentExactlyOneFresh(t *testing.T) {
	ctx := context.Background()
	s := openT(t, dbPath(t), testKey)
	var fresh atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ok, err := s.UseCode(ctx, "alice", "f1", "totp:58379000", t0.Add(2*time.Minute))
			if err != nil {
				t.Error(err)
			}
			if ok {
				fresh.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if fresh.Load() != 1 {
		t.Fatalf("fresh = %d of 20, want exactly 1", fresh.Load())
	}
}

func TestUseCodeDurableAcrossRestart(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s := openT(t, path, testKey)
	if ok, err := s.UseCode(ctx, "alice", "f1", "totp:1", t0.Add(time.Hour)); !ok || err != nil {
		t.Fatalf("first use: %v %v", ok, err)
	}
	// Other user, other factor, other step: independent records.
	for _, k := range [][3]string{{"bob", "f1", "totp:1"}, {"alice", "f2", "totp:1"}, {"alice", "f1", "totp:2"}} {
		if ok, _ := s.UseCode(ctx, k[0], k[1], k[2], t0.Add(time.Hour)); !ok {
			t.Errorf("UseCode%v not fresh", k)
		}
	}
	s.Close()
	s = openT(t, path, testKey)
	if ok, err := s.UseCode(ctx, "alice", "f1", "totp:1", t0.Add(time.Hour)); ok || err != nil {
		t.Fatalf("replay after restart: fresh=%v err=%v; want refused", ok, err)
	}
	// Cleanup before expiry keeps the record; after expiry drops it.
	s.Cleanup(ctx, t0, time.Hour)
	if ok, _ := s.UseCode(ctx, "alice", "f1", "totp:1", t0.Add(time.Hour)); ok {
		t.Fatal("cleanup dropped an unexpired used code")
	}
	n, err := s.Cleanup(ctx, t0.Add(time.Hour), time.Hour)
	if err != nil || n != 4 {
		t.Fatalf("Cleanup after expiry deleted %d, %v; want 4", n, err)
	}
}

func TestEnrolmentCodes(t *testing.T) {
	ctx := context.Background()
	s := openT(t, dbPath(t), testKey)
	h1, h2 := store.HashID("ABCD-EFGH"), store.HashID("IJKL-MNOP")
	if err := s.IssueEnrolmentCode(ctx, "alice", []byte("ABCD-EFGH"), t0.Add(time.Hour)); err == nil {
		t.Error("a non-hash (plaintext code) was accepted")
	}
	if err := s.IssueEnrolmentCode(ctx, "alice", h1, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.ConsumeEnrolmentCode(ctx, "bob", h1, t0); ok {
		t.Error("another user consumed alice's code")
	}
	if ok, _ := s.ConsumeEnrolmentCode(ctx, "alice", h1, t0.Add(time.Hour)); ok {
		t.Error("expired code consumed")
	}
	if ok, err := s.ConsumeEnrolmentCode(ctx, "alice", h1, t0); !ok || err != nil {
		t.Fatalf("valid code: %v %v", ok, err)
	}
	if ok, _ := s.ConsumeEnrolmentCode(ctx, "alice", h1, t0); ok {
		t.Error("code consumed twice")
	}
	// A new code replaces the outstanding one.
	s.IssueEnrolmentCode(ctx, "alice", h1, t0.Add(time.Hour))
	s.IssueEnrolmentCode(ctx, "alice", h2, t0.Add(time.Hour))
	if ok, _ := s.ConsumeEnrolmentCode(ctx, "alice", h1, t0); ok {
		t.Error("superseded code still works")
	}
	if ok, _ := s.ConsumeEnrolmentCode(ctx, "alice", h2, t0); !ok {
		t.Error("new code refused")
	}
}
