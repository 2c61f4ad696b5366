package main

import (
	"strings"
	"testing"
	"time"
)

// TestCheckADLockoutThreshold: against the test DC, which locks an account
// after 5 wrong passwords, check reads that threshold and warns that the
// default lockout.unfamiliar_max_passwords (20) would let a spray lock the
// AD accounts first (a warning: exit 0); with 3 it says the limit stays
// below and warns nothing.
func TestCheckADLockoutThreshold(t *testing.T) {
	ad := samba(t)
	code, out := runADCheck(t, ad, adCheck{})
	if code != 0 {
		t.Errorf("exit %d, want 0 (a warning only)", code)
	}
	policy := "directory lockout policy: DC=example,DC=test locks an account after 5 wrong passwords within "
	if !strings.Contains(out, policy) {
		t.Errorf("output lacks %q", policy)
	}
	if !strings.Contains(out, "  WARNING: the domain DC=example,DC=test locks an account after 5 wrong passwords (lockoutThreshold), but claimgate lets up to 20 through") ||
		!strings.Contains(out, "set lockout.unfamiliar_max_passwords to at most 3") {
		t.Errorf("no warning naming the threshold, claimgate's 20 and the key to set:\n%s", out)
	}
	code, out = runADCheck(t, ad, adCheck{extra: "lockout:\n  unfamiliar_max_passwords: 3\n"})
	if code != 0 || strings.Contains(out, "WARNING") {
		t.Errorf("unfamiliar_max_passwords 3: exit %d, output\n%s\nwant 0 and no warning", code, out)
	}
	wantLines(t, out, "  ok: lockout.unfamiliar_max_passwords (3 per 15m0s) stays below it")
}

// TestServeWarnsADLockoutThreshold: at start, against the test DC
// (threshold 5) with the default unfamiliar_max_passwords (20), serve
// logs the warning once.
func TestServeWarnsADLockoutThreshold(t *testing.T) {
	ad := samba(t)
	fx := newFixture(t)
	for k, v := range ad {
		fx.env[k] = v
	}
	fx.writeConfig(t, serveConfig{directory: ad.ldapYAML(ad["CLAIMGATE_TEST_LDAP_URL"])})
	srv := startServe(t, fx)
	// The read runs in the background: wait for it (bounded, not timed).
	const want = "lockout: Active Directory may lock accounts before claimgate does"
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(srv.stderr.String(), want); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not warn %q; log:\n%s", want, srv.stderr.String())
		}
	}
	if log := srv.stderr.String(); !strings.Contains(log, `"ad_lockout_threshold":5`) || strings.Count(log, want) != 1 {
		t.Errorf("warning without the threshold, or more than once:\n%s", log)
	}
}
