package testutil

import (
	"os/exec"
	"strings"
	"testing"
)

// OATHTool runs the oathtool binary (Debian package oathtool), an
// implementation independent of ours, and returns its one-line answer.
func OATHTool(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("oathtool", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("oathtool %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// TOTP is the current TOTP code for a Base32 secret, from oathtool.
func TOTP(t testing.TB, base32Secret string) string {
	return OATHTool(t, "--totp", "-b", base32Secret)
}
