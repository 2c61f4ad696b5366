package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store/sqlitestore"
	"github.com/claimgate/claimgate/internal/testutil"
)

// TestServeRefusesASecondServerOnOneSQLiteFile: while `claimgate serve`
// runs on a SQLite store, a second `claimgate serve` process on the same
// file exits 1 at start with one line that names the file and says to use
// PostgreSQL for several instances (the first keeps its sign-in leases in
// memory, which a second server would not see); the admin CLI still works
// on the file meanwhile.
func TestServeRefusesASecondServerOnOneSQLiteFile(t *testing.T) {
	if testing.Short() {
		t.Skip("starts claimgate as a child process; run without -short (make test)")
	}
	alice := e2eUser{Name: "alice", Password: newPassword(t), TOTP: newSeed(t)}
	fx := newFixture(t, alice)
	fx.writeConfig(t, serveConfig{})
	startServe(t, fx)

	// The second listens elsewhere, as a second instance would: only the
	// store stands in its way.
	yaml, err := os.ReadFile(fx.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	second, addr := filepath.Join(fx.dir, "second.yaml"), testutil.FreeAddr(t)
	yaml = []byte(strings.Replace(string(yaml), "listen: "+fx.addr, "listen: "+addr, 1))
	if err := os.WriteFile(second, yaml, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "serve", "--config", second)
	cmd.Env = append(os.Environ(), "CLAIMGATE_TEST_AS_MAIN=1")
	var stderr testutil.SyncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	// It must exit; one that serves instead is the failure (a deadline
	// only keeps a broken build from hanging the test).
	up := &server{fx: &fixture{base: "http://" + addr}}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(30 * time.Millisecond) {
		select {
		case err = <-exited:
		default:
			if up.healthy() || time.Now().After(deadline) {
				t.Fatalf("a second serve on the same SQLite file started:\n%s", stderr.String())
			}
			continue
		}
		break
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("a second serve on the file: %v, want exit status 1\n%s", err, stderr.String())
	}
	msg := strings.TrimSpace(stderr.String())
	for _, want := range []string{filepath.Join("data", sqlitestore.FileName), "one instance", "store.driver postgres"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the second serve's error does not say %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("the second serve's error is not one line:\n%s", msg)
	}

	if out := fx.cli(t, "users", "list", "alice"); out == "" {
		t.Error("users list printed nothing beside the running server")
	}
}
