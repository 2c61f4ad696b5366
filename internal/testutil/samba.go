package testutil

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// SambaEnv reads the env file scripts/samba/setup.sh writes for the real
// Samba AD DC on loopback (CLAIMGATE_SAMBA_ENV names it) and checks that
// it has every key in need. Tests that use it fail, not skip, when it is
// missing: a green run must mean the directory code was proven against
// AD. Under `go test -short`, the documented unit-only mode, they skip.
func SambaEnv(t testing.TB, need ...string) map[string]string {
	t.Helper()
	if testing.Short() {
		t.Skip("test against the Samba AD DC; -short runs unit tests only")
	}
	path := os.Getenv("CLAIMGATE_SAMBA_ENV")
	if path == "" {
		t.Fatal("CLAIMGATE_SAMBA_ENV is not set. Start the test domain controller with " +
			"`sudo scripts/samba/setup.sh` (or run `make test`) and set CLAIMGATE_SAMBA_ENV to the env file it prints " +
			"(default /tmp/claimgate-samba/env); use `go test -short` for unit tests only")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("CLAIMGATE_SAMBA_ENV: %v (run scripts/samba/setup.sh)", err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			env[k] = v
		}
	}
	for _, k := range need {
		if env[k] == "" {
			t.Fatalf("%s: %s missing; rerun scripts/samba/setup.sh", path, k)
		}
	}
	return env
}
