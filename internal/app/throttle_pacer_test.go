package app

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/store/sqlitestore"
)

// TestThrottleKeepsThePacerAcrossReloads: two throttles, as two
// configuration generations, built with the process's RefusedPacer share
// what it measured: the new generation paces refused attempts at once
// instead of doing the decoy work until it has measured a check itself.
// Found by review: before, each reload made a new, empty Pacer.
func TestThrottleKeepsThePacerAcrossReloads(t *testing.T) {
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := &config.Config{}
	cfg.Lockout.MaxFailures, cfg.Lockout.BaseLockout, cfg.Lockout.MaxLockout, cfg.Lockout.Window = 5, time.Minute, time.Hour, 15*time.Minute
	cfg.Lockout.UnfamiliarMaxPasswords, cfg.Lockout.UnfamiliarMaxCodes = 20, 10
	cfg.Lockout.UserLockout, cfg.Lockout.UserMaxLockout, cfg.Lockout.PerAddressMaxFailures = 5*time.Minute, 30*time.Minute, 20
	shared := mfa.NewPacer(mfa.PacerOptions{})
	old, err := newThrottle(cfg, st, nil, shared)
	if err != nil {
		t.Fatal(err)
	}
	shared.Observe(40 * time.Millisecond) // a real check measured by the old generation
	next, err := newThrottle(cfg, st, nil, shared)
	if err != nil {
		t.Fatal(err)
	}
	for name, th := range map[string]*throttleAdapter{"old": old, "new": next} {
		if got := th.SprayGuard().Stats().Refused.Observed; got != 1 {
			t.Errorf("%s generation's guard has observed %d checks, want the shared 1", name, got)
		}
	}
	alone, err := newThrottle(cfg, st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := alone.SprayGuard().Stats().Refused.Observed; got != 0 {
		t.Errorf("a throttle without a shared Pacer observed %d, want 0 (its own)", got)
	}
}
