package testutil

import (
	"os/exec"
	"os/user"
	"path/filepath"
	"testing"
)

// PGCtl runs pg_ctl on the test server's data directory (env is
// PostgresEnv's, with CLAIMGATE_TEST_PG_BIN, _DATA and _OS_USER) as the
// user the server runs as (scripts/postgres/setup.sh), for tests that stop
// and start the server under claimgate.
func PGCtl(t testing.TB, env map[string]string, args ...string) {
	t.Helper()
	bin := filepath.Join(env["CLAIMGATE_TEST_PG_BIN"], "pg_ctl")
	args = append([]string{"-D", env["CLAIMGATE_TEST_PG_DATA"], "-w", "-t", "60"}, args...)
	var cmd *exec.Cmd
	if u, err := user.Current(); err == nil && u.Username == env["CLAIMGATE_TEST_PG_OS_USER"] {
		cmd = exec.Command(bin, args...)
	} else {
		cmd = exec.Command("runuser", append([]string{"-u", env["CLAIMGATE_TEST_PG_OS_USER"], "--", bin}, args...)...)
	}
	cmd.Dir = "/"
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl %v: %v\n%s", args, err, out)
	}
}
