package factors

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestSMSCodeSharedByInstances: two verifiers on one store (two claimgate
// instances) share the pending code and its limits: a code sent by one
// verifies on the other, once, and the other cannot resend within the
// interval.
func TestSMSCodeSharedByInstances(t *testing.T) {
	db := openStore(t)
	gw := &recordingSMS{}
	o := Options{Store: db, SMS: gw, PhoneFromDirectory: true, SMSMaxSends: 3, SMSMinInterval: 30 * time.Second, SMSTTL: 5 * time.Minute}
	a, _ := NewVerifier(o)
	b, _ := NewVerifier(o)
	ctx, now := context.Background(), time.Now()
	m := method(t, a, directorySMSID)
	if err := a.Prepare(ctx, alice, m, now); err != nil {
		t.Fatal(err)
	}
	if err := b.Prepare(ctx, alice, m, now.Add(time.Second)); !errors.Is(err, ErrResendLimit) {
		t.Fatalf("the other instance resent within the interval: %v", err)
	}
	code := gw.codes[0]
	if ok, err := b.Verify(ctx, alice, m, code, now.Add(2*time.Second)); !ok || err != nil {
		t.Fatalf("a code sent by one instance does not verify on the other: %v %v", ok, err)
	}
	if ok, _ := a.Verify(ctx, alice, m, code, now.Add(3*time.Second)); ok {
		t.Fatal("a code used on one instance was accepted on the other")
	}
}
