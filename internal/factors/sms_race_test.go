package factors

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestParallelSendsKeepTheInterval: twenty parallel Prepare calls for one
// user and factor at one instant send one text: the limit check and the
// recording of the send are one step. A send refused by the hourly rate
// limit does not use up the resend interval.
func TestParallelSendsKeepTheInterval(t *testing.T) {
	db := openStore(t)
	gw := &recordingSMS{}
	v, _ := NewVerifier(Options{Store: db, SMS: gw, PhoneFromDirectory: true, SMSMaxSends: 2, SMSMinInterval: 30 * time.Second,
		SMSTTL: 5 * time.Minute, SMSRate: db, SMSRateMax: 5, SMSRateWindow: time.Hour})
	ctx, now := context.Background(), time.Now()
	m := method(t, v, directorySMSID)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = v.Prepare(ctx, alice, m, now)
		}()
	}
	wg.Wait()
	gw.mu.Lock()
	sent := len(gw.codes)
	gw.mu.Unlock()
	if sent != 1 {
		t.Fatalf("%d texts sent by 20 parallel sends at one instant, want 1", sent)
	}
	// The one code sent is the one that verifies.
	gw.mu.Lock()
	code := gw.codes[0]
	gw.mu.Unlock()
	if ok, err := v.Verify(ctx, alice, m, code, now.Add(time.Second)); !ok || err != nil {
		t.Fatalf("the code sent does not verify: %v", err)
	}
}
