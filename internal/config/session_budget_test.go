package config

import (
	"strings"
	"testing"
)

// TestNewSessionBudgetKnobs: the budget of new sessions defaults to 256
// MiB per idle timeout and 16 MiB per client; out of range, or a client's
// share over the whole, is a problem at its own key.
func TestNewSessionBudgetKnobs(t *testing.T) {
	s := mustLoad(t, minimal, nil).Server.Session
	if s.NewSessionsMiB != 256 || s.NewSessionsPerClientMiB != 16 {
		t.Errorf("defaults %d / %d MiB, want 256 / 16", s.NewSessionsMiB, s.NewSessionsPerClientMiB)
	}
	with := func(extra string) string {
		return strings.Replace(minimal, "server:\n", "server:\n  session: {"+extra+"}\n", 1)
	}
	s = mustLoad(t, with("new_sessions_mib: 1024, new_sessions_per_client_mib: 512"), nil).Server.Session
	if s.NewSessionsMiB != 1024 || s.NewSessionsPerClientMiB != 512 {
		t.Errorf("set: %d / %d MiB, want 1024 / 512", s.NewSessionsMiB, s.NewSessionsPerClientMiB)
	}
	for extra, key := range map[string]string{
		"new_sessions_mib: -1":                                 "server.session.new_sessions_mib",
		"new_sessions_per_client_mib: 2000000":                 "server.session.new_sessions_per_client_mib",
		"new_sessions_mib: 8, new_sessions_per_client_mib: 16": "server.session.new_sessions_per_client_mib",
	} {
		_, err := Load(writeConfig(t, with(extra)), envMap(nil))
		if ps := problemsOf(t, err); !hasProblem(ps, key, "") {
			t.Errorf("%s: no problem at %s: %v", extra, key, ps)
		}
	}
}

// TestSessionLifetimeBounded: server.session.lifetime is at most 90 days
// (2160h); 2562047h (review 7) made the budget's window, the idle timeout
// plus the cleanup, wrap negative and silently fall back to 30 minutes.
func TestSessionLifetimeBounded(t *testing.T) {
	with := func(extra string) string {
		return strings.Replace(minimal, "server:\n", "server:\n  session: {"+extra+"}\n", 1)
	}
	if s := mustLoad(t, with("lifetime: 2160h, idle_timeout: 2160h"), nil).Server.Session; s.Lifetime != MaxSessionLifetime {
		t.Errorf("lifetime %v", s.Lifetime)
	}
	_, err := Load(writeConfig(t, with("lifetime: 2562047h, idle_timeout: 2562047h")), envMap(nil))
	if ps := problemsOf(t, err); !hasProblem(ps, "server.session.lifetime", "2160h") {
		t.Errorf("no problem at server.session.lifetime naming 2160h: %v", ps)
	}
	// Both too long, the idle timeout shorter than the lifetime: both are
	// named in one round (review 8), not the idle timeout only once the
	// lifetime is fixed.
	_, err = Load(writeConfig(t, with("lifetime: 3000h, idle_timeout: 2900h")), envMap(nil))
	ps := problemsOf(t, err)
	for _, path := range []string{"server.session.lifetime", "server.session.idle_timeout"} {
		if !hasProblem(ps, path, "2160h") {
			t.Errorf("no problem at %s naming 2160h: %v", path, ps)
		}
	}
}
