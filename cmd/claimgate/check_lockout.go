package main

import (
	"fmt"
	"time"

	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/ldapsource"
)

// checkADLockout reads the domain's own lockout policy (best effort) and
// says whether claimgate's per-user limit from unfamiliar addresses
// stays below it: when it does not, a spray through claimgate locks the
// attacked accounts in AD first. A warning, not a failure: the
// configuration works, it only protects less than it could.
func checkADLockout(e *env, cfg *config.Config, ld *ldapsource.Directory) {
	p, err := ld.LockoutPolicy(e.ctx)
	if err != nil {
		fmt.Fprintln(e.stdout, plain("directory lockout policy: not read ("+errText(err)+"); make sure lockout.unfamiliar_max_passwords is below the domain's lockout threshold"))
		return
	}
	fmt.Fprintln(e.stdout, plain("directory lockout policy: "+describeADLockout(p)))
	if w := p.LockoutWarning(cfg.Lockout.UnfamiliarMaxPasswords, cfg.Lockout.Window); w != "" {
		fmt.Fprintln(e.stdout, plain("  WARNING: "+w))
		return
	}
	if p.Threshold > 0 {
		fmt.Fprintf(e.stdout, "  ok: lockout.unfamiliar_max_passwords (%d per %v) stays below it\n", cfg.Lockout.UnfamiliarMaxPasswords, cfg.Lockout.Window)
	}
}

func describeADLockout(p ldapsource.LockoutPolicy) string {
	if p.Threshold == 0 {
		return p.Domain + " never locks accounts (lockoutThreshold 0)"
	}
	how := "until an administrator unlocks them"
	if p.Duration > 0 {
		how = "for " + p.Duration.Round(time.Second).String()
	}
	return fmt.Sprintf("%s locks an account after %d wrong passwords within %v, %s", p.Domain, p.Threshold, p.Window.Round(time.Second), how)
}
