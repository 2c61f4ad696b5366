package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/app"
	"github.com/claimgate/claimgate/internal/config"
)

// TestUnlockAddressSaysWhenNothingWasLocked: `users unlock-address` for an
// address with no lock printed "address ... unlocked" and exited 0, so a
// help desk that mistyped the address told the user to try again (admin
// review F9). Now it fails and says nothing changed; the address that is
// locked (an IPv6 lock covers its /64) is unlocked and listed no more.
func TestUnlockAddressSaysWhenNothingWasLocked(t *testing.T) {
	dir := t.TempDir()
	crt, key := filepath.Join(dir, "s.crt"), filepath.Join(dir, "s.key")
	if code, _, errOut := runCmd(t, "", nil, "certs", "new", "--cert", crt, "--key", key); code != 0 {
		t.Fatalf("certs new: %d %s", code, errOut)
	}
	cfgPath := writeConfig(t, dir, crt, key)
	cfg, err := config.Load(cfgPath, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	db, err := app.OpenStore(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(time.Hour)
	for _, k := range []string{"addr:203.0.113.9", "addr:2001:db8:1:2::/64"} {
		if err := db.SetLock(context.Background(), k, until, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runCmd(t, "", nil, "users", "unlock-address", "--config", cfgPath, "203.0.113.8")
	if code == 0 || strings.Contains(out, "unlocked") || !strings.Contains(errOut, "address 203.0.113.8 is not locked; nothing changed") {
		t.Errorf("unlocking an address with no lock: %d\n%s%s", code, out, errOut)
	}
	for _, a := range []string{"203.0.113.9", "2001:db8:1:2::77"} {
		code, out, errOut := runCmd(t, "", nil, "users", "unlock-address", "--config", cfgPath, a)
		if code != 0 || !strings.Contains(out, "address "+a+" unlocked") {
			t.Errorf("unlocking %s: %d\n%s%s", a, code, out, errOut)
		}
	}
	if code, out, _ := runCmd(t, "", nil, "users", "locks", "--config", cfgPath); code != 0 || !strings.Contains(out, "no lockouts in force") {
		t.Errorf("locks after the unlocks: %d\n%s", code, out)
	}
}

// TestCertsNewRefusals: `certs new --days 0` made a two-year certificate
// (the library's default for "unset") while -5 was refused (admin review
// F24); existing files are never overwritten, and the message no longer
// offers an overwrite option that does not exist (F1).
func TestCertsNewRefusals(t *testing.T) {
	dir := t.TempDir()
	crt, key := filepath.Join(dir, "s.crt"), filepath.Join(dir, "s.key")
	for _, d := range []string{"0", "-5", "36501"} {
		code, _, errOut := runCmd(t, "", nil, "certs", "new", "--cert", crt, "--key", key, "--days", d)
		if code == 0 || !strings.Contains(errOut, "--days "+d+": give the validity in days") {
			t.Errorf("--days %s: %d %s", d, code, errOut)
		}
		if _, err := os.Stat(crt); err == nil {
			t.Fatalf("--days %s wrote a certificate", d)
		}
	}
	if code, _, errOut := runCmd(t, "", nil, "certs", "new", "--cert", crt, "--key", key, "--days", "1"); code != 0 {
		t.Fatalf("--days 1: %d %s", code, errOut)
	}
	code, _, errOut := runCmd(t, "", nil, "certs", "new", "--cert", crt, "--key", key)
	if code == 0 || !strings.Contains(errOut, "already exists; it is never overwritten") || strings.Contains(errOut, "ask to overwrite") {
		t.Errorf("existing files: %d %s", code, errOut)
	}
}
