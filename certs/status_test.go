package certs

import (
	"crypto/x509"
	"testing"
	"time"
)

// TestCheckExpiry: the warning starts exactly at ExpiryWarning before
// NotAfter, days are rounded up while valid, and expired and not yet
// valid certificates are named as such.
func TestCheckExpiry(t *testing.T) {
	kp := mustPair(t)
	c := selfSigned(t, kp.Key, "expiry", fixedNow, fixedNow.Add(100*24*time.Hour))
	day := 24 * time.Hour
	for _, tc := range []struct {
		at    time.Time
		state Expiry
		days  int
	}{
		{fixedNow.Add(time.Hour), Valid, 100},                     // 99 days 23 h: rounded up
		{c.NotAfter.Add(-ExpiryWarning - time.Second), Valid, 31}, // one second outside the warning
		{c.NotAfter.Add(-ExpiryWarning), ExpiresSoon, 30},         // exactly 30 days: warned
		{c.NotAfter.Add(-day - time.Minute), ExpiresSoon, 2},      // a day and a minute
		{c.NotAfter, ExpiresSoon, 0},                              // its last instant
		{c.NotAfter.Add(time.Second), Expired, 0},                 // expired today
		{c.NotAfter.Add(3*day + time.Hour), Expired, -3},          // three whole days ago
		{fixedNow.Add(-time.Second), NotYetValid, 101},            // before NotBefore
	} {
		state, days := CheckExpiry(c, tc.at)
		if state != tc.state || days != tc.days {
			t.Errorf("at %s: %s, %d days; want %s, %d", tc.at.Format(time.RFC3339), state, days, tc.state, tc.days)
		}
	}
}

// TestRoleOf: the first pair signs, the other pairs are published with
// their key, extra certificates are published only.
func TestRoleOf(t *testing.T) {
	current := mustPair(t)
	nextKey, err := Generate(GenerateOptions{CommonName: "next"})
	if err != nil {
		t.Fatal(err)
	}
	public := selfSigned(t, nextKey.Key, "public only", fixedNow, fixedNow.AddDate(2, 0, 0))
	s, err := NewSet([]*KeyPair{current, nextKey}, []*x509.Certificate{public})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Keys) != 2 || s.Keys[0] != current || s.Keys[1] != nextKey {
		t.Fatalf("Keys = %v", s.Keys)
	}
	for c, want := range map[*x509.Certificate]Role{current.Certificate: Signs, nextKey.Certificate: PublishedWithKey, public: PublishedOnly} {
		if got := s.RoleOf(c); got != want {
			t.Errorf("%s: %s, want %s", c.Subject.CommonName, got, want)
		}
	}
}
