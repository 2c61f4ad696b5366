package testutil

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// PostgresEnv reads the env file scripts/postgres/setup.sh writes for the
// PostgreSQL instance on loopback (CLAIMGATE_PG_ENV names it) and checks
// that it has every key in need (CLAIMGATE_TEST_PG_DSN always). A missing
// database is a failure, not a skip, so a green CI run means the
// PostgreSQL code ran; only `go test -short` without CLAIMGATE_PG_ENV
// skips.
func PostgresEnv(t testing.TB, need ...string) map[string]string {
	t.Helper()
	path := os.Getenv("CLAIMGATE_PG_ENV")
	if path == "" {
		if testing.Short() {
			t.Skip("test against PostgreSQL; -short without CLAIMGATE_PG_ENV runs unit tests only")
		}
		t.Fatal("CLAIMGATE_PG_ENV is not set. Start the test database with " +
			"`sudo scripts/postgres/setup.sh` (or run `make test`) and set CLAIMGATE_PG_ENV to the env file it prints " +
			"(default /tmp/claimgate-pg/env); use `go test -short` for unit tests only")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("CLAIMGATE_PG_ENV: %v (run scripts/postgres/setup.sh)", err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			env[k] = v
		}
	}
	for _, k := range append([]string{"CLAIMGATE_TEST_PG_DSN"}, need...) {
		if env[k] == "" {
			t.Fatalf("%s: %s missing; rerun scripts/postgres/setup.sh", path, k)
		}
	}
	return env
}
