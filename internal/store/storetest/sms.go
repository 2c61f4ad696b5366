package storetest

import (
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

var smsLimits = store.SMSLimits{TTL: 5 * time.Minute, MaxSends: 2, MinInterval: 30 * time.Second}

func sendSMS(t *testing.T, s store.Store, user, hash string, at time.Time) store.SMSSend {
	t.Helper()
	r, err := s.TakeSMSSend(ctx(), user, "f1", hash, at, smsLimits)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// testSMSLimits: a code lives from its first send, at most MaxSends texts
// go while it lives and at least MinInterval apart, a resend replaces the
// code, and each code is consumed once, before it expires.
func testSMSLimits(t *testing.T, su *suite) {
	s := su.open(t)
	first := store.PendingSMS{Hash: "h1", Expires: t0.Add(5 * time.Minute), Sends: 1, LastSent: t0}
	if r := sendSMS(t, s, "alice", "h1", t0); !reflect.DeepEqual(r, store.SMSSend{Taken: true, Pending: first}) {
		t.Fatalf("first send = %+v", r)
	}
	if r := sendSMS(t, s, "alice", "h2", t0.Add(10*time.Second)); r.Taken || !reflect.DeepEqual(r.Pending, first) {
		t.Fatalf("resend inside the interval = %+v; want refused with the pending state", r)
	}
	second := store.PendingSMS{Hash: "h2", Expires: first.Expires, Sends: 2, LastSent: t0.Add(40 * time.Second)}
	if r := sendSMS(t, s, "alice", "h2", t0.Add(40*time.Second)); !reflect.DeepEqual(r, store.SMSSend{Taken: true, Pending: second, Prev: first}) {
		t.Fatalf("resend after the interval = %+v", r)
	}
	if r := sendSMS(t, s, "alice", "h3", t0.Add(80*time.Second)); r.Taken || r.Pending.Sends != 2 {
		t.Fatalf("third send = %+v; want refused (send limit)", r)
	}
	// Limits and codes are per user and factor.
	if r := sendSMS(t, s, "bob", "h1", t0.Add(80*time.Second)); !r.Taken {
		t.Errorf("bob is limited by alice's sends: %+v", r)
	}
	if r, _ := s.TakeSMSSend(ctx(), "alice", "f2", "h1", t0.Add(80*time.Second), smsLimits); !r.Taken {
		t.Errorf("another factor is limited by f1's sends: %+v", r)
	}
	if ok, _ := s.ConsumeSMSCode(ctx(), "alice", "f1", "h1", t0.Add(90*time.Second)); ok {
		t.Error("a replaced code was consumed")
	}
	if ok, _ := s.ConsumeSMSCode(ctx(), "alice", "f1", "h2", first.Expires); ok {
		t.Error("a code was consumed at its expiry")
	}
	// After the expiry a send starts a new code with a new life.
	third := store.PendingSMS{Hash: "h4", Expires: first.Expires.Add(ms(1) + 5*time.Minute), Sends: 1, LastSent: first.Expires.Add(ms(1))}
	if r := sendSMS(t, s, "alice", "h4", first.Expires.Add(ms(1))); !r.Taken || !reflect.DeepEqual(r.Pending, third) || r.Prev != (store.PendingSMS{}) {
		t.Fatalf("send after expiry = %+v; want a new code %+v", r, third)
	}
	if ok, _ := s.ConsumeSMSCode(ctx(), "bob", "f1", "h4", third.LastSent); ok {
		t.Error("bob consumed alice's code")
	}
	if ok, err := s.ConsumeSMSCode(ctx(), "alice", "f1", "h4", third.LastSent); !ok || err != nil {
		t.Fatalf("consume the pending code: %v %v", ok, err)
	}
	if ok, _ := s.ConsumeSMSCode(ctx(), "alice", "f1", "h4", third.LastSent); ok {
		t.Error("a code was consumed twice")
	}
	// Consumed, the code no longer limits: a new one may go at once.
	if r := sendSMS(t, s, "alice", "h5", third.LastSent.Add(ms(1))); !r.Taken || r.Pending.Sends != 1 {
		t.Errorf("send after a consumed code = %+v", r)
	}
}

// testSMSUndo: an undone send restores the previous code and its counts;
// an undo that comes after another send changes nothing.
func testSMSUndo(t *testing.T, su *suite) {
	s := su.open(t)
	r1 := sendSMS(t, s, "alice", "h1", t0)
	if err := s.UndoSMSSend(ctx(), "alice", "f1", "h1", r1.Prev); err != nil {
		t.Fatal(err)
	}
	if r := sendSMS(t, s, "alice", "h1", t0.Add(time.Second)); !r.Taken || r.Pending.Sends != 1 || !r.Pending.Expires.Equal(t0.Add(time.Second+5*time.Minute)) {
		t.Fatalf("after undoing the first send: %+v; want a new code", r)
	}
	r2 := sendSMS(t, s, "alice", "h2", t0.Add(time.Minute))
	if err := s.UndoSMSSend(ctx(), "alice", "f1", "h2", r2.Prev); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.ConsumeSMSCode(ctx(), "alice", "f1", "h2", t0.Add(time.Minute)); ok {
		t.Error("an undone code works")
	}
	// The previous code, its send count and its last send are back.
	if r := sendSMS(t, s, "alice", "h3", t0.Add(20*time.Second)); r.Taken || !reflect.DeepEqual(r.Pending, r2.Prev) {
		t.Fatalf("after the undo: %+v; want the interval of the restored send %+v", r, r2.Prev)
	}
	// A stale undo (another send came since) leaves the newer code.
	r3 := sendSMS(t, s, "alice", "h3", t0.Add(2*time.Minute))
	if err := s.UndoSMSSend(ctx(), "alice", "f1", "h2", r2.Prev); err != nil {
		t.Fatal(err)
	}
	if err := s.UndoSMSSend(ctx(), "alice", "f1", "h2", store.PendingSMS{}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.ConsumeSMSCode(ctx(), "alice", "f1", "h3", r3.Pending.LastSent); !ok {
		t.Error("a stale undo removed the newer code")
	}
}

// testSMSOneWinner: parallel sends at one instant, through two handles,
// let one text go; parallel consumes of it let one caller in.
func testSMSOneWinner(t *testing.T, su *suite) {
	s := su.open(t)
	hs := su.handles(t, s)
	var mu sync.Mutex
	var won []string
	race(20, func(i int) {
		h := fmt.Sprint("h", i)
		r, err := hs[i%2].TakeSMSSend(ctx(), "alice", "f1", h, t0, smsLimits)
		if err != nil {
			t.Error(err)
		}
		if r.Taken {
			mu.Lock()
			won = append(won, h)
			mu.Unlock()
		}
	})
	if len(won) != 1 {
		t.Fatalf("%d of 20 parallel sends were taken, want 1", len(won))
	}
	var got atomic.Int32
	race(10, func(i int) {
		ok, err := hs[i%2].ConsumeSMSCode(ctx(), "alice", "f1", won[0], t0.Add(time.Second))
		if err != nil {
			t.Error(err)
		}
		if ok {
			got.Add(1)
		}
	})
	if got.Load() != 1 {
		t.Fatalf("the code was consumed %d times at once, want 1", got.Load())
	}
}
