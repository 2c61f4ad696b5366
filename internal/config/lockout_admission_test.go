package config

import (
	"testing"
	"time"
)

// TestLockoutAdmissionKnobs: the admission of unfamiliar checks defaults
// to one per core (0), a queue of 16 and a 1 s wait; values out of range
// are each a problem at their own key.
func TestLockoutAdmissionKnobs(t *testing.T) {
	l := mustLoad(t, minimal, nil).Lockout
	if l.UnfamiliarChecks != 0 || l.UnfamiliarQueue != 16 || l.UnfamiliarWait != time.Second {
		t.Errorf("defaults: checks %d, queue %d, wait %v; want 0, 16, 1s", l.UnfamiliarChecks, l.UnfamiliarQueue, l.UnfamiliarWait)
	}
	l = mustLoad(t, minimal+"lockout: {unfamiliar_checks: 4, unfamiliar_queue: 0, unfamiliar_wait: 250ms}\n", nil).Lockout
	if l.UnfamiliarChecks != 4 || l.UnfamiliarQueue != 0 || l.UnfamiliarWait != 250*time.Millisecond {
		t.Errorf("set: checks %d, queue %d, wait %v; want 4, 0 (no queue), 250ms", l.UnfamiliarChecks, l.UnfamiliarQueue, l.UnfamiliarWait)
	}
	_, err := Load(writeConfig(t, minimal+"lockout: {unfamiliar_checks: -1, unfamiliar_queue: -2, unfamiliar_wait: 1m}\n"), envMap(nil))
	ps := problemsOf(t, err)
	for _, k := range []string{"lockout.unfamiliar_checks", "lockout.unfamiliar_queue", "lockout.unfamiliar_wait"} {
		if !hasProblem(ps, k, "") {
			t.Errorf("no problem at %s: %v", k, ps)
		}
	}
}
