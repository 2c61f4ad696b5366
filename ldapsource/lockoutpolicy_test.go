package ldapsource

import (
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// TestLockoutPolicyParse reads AD's attributes: the threshold, and the
// windows stored as negative 100 ns counts (the most negative: for ever).
func TestLockoutPolicyParse(t *testing.T) {
	e := ldap.NewEntry("DC=example,DC=test", map[string][]string{
		"lockoutThreshold": {"5"}, "lockOutObservationWindow": {"-18000000000"}, "lockoutDuration": {"-9223372036854775808"}})
	p, err := parseLockoutPolicy("DC=example,DC=test", e)
	if err != nil || p.Threshold != 5 || p.Window != 30*time.Minute || p.Duration != 0 {
		t.Errorf("got %+v, %v; want threshold 5, window 30m, duration 0 (for ever)", p, err)
	}
	if _, err := parseLockoutPolicy("DC=x", ldap.NewEntry("DC=x", nil)); err == nil {
		t.Error("a head without lockoutThreshold parsed")
	}
}

// TestLockoutWarning: a warning exactly when claimgate's limit, times the
// number of its windows AD's observation window spans, reaches AD's
// threshold; none when AD never locks.
func TestLockoutWarning(t *testing.T) {
	for _, c := range []struct {
		threshold, max int
		ad, cg         time.Duration
		warn           bool
	}{
		{5, 20, time.Minute, 15 * time.Minute, true},
		{5, 4, time.Minute, 15 * time.Minute, false},
		{5, 5, time.Minute, 15 * time.Minute, true},
		{0, 1000, time.Hour, time.Minute, false},
		{50, 20, 30 * time.Minute, 15 * time.Minute, false}, // 40 < 50
		{30, 20, 30 * time.Minute, 15 * time.Minute, true},  // 40 >= 30
	} {
		w := LockoutPolicy{Domain: "DC=x", Threshold: c.threshold, Window: c.ad}.LockoutWarning(c.max, c.cg)
		if (w != "") != c.warn {
			t.Errorf("threshold %d, max %d, AD window %v, claimgate %v: warning %q, want one: %v", c.threshold, c.max, c.ad, c.cg, w, c.warn)
		}
		if w != "" && !strings.Contains(w, "lockout.unfamiliar_max_passwords") {
			t.Errorf("warning does not name the key: %q", w)
		}
	}
}
