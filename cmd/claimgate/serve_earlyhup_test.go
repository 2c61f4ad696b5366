package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/testutil"
)

// TestMain lets a test run this binary as `claimgate` in a child process
// (CLAIMGATE_TEST_AS_MAIN=1): a signal's default action, killing the
// process, can only be seen from outside it.
func TestMain(m *testing.M) {
	if os.Getenv("CLAIMGATE_TEST_AS_MAIN") == "1" {
		os.Args = append([]string{"claimgate"}, os.Args[1:]...)
		main()
	}
	os.Exit(m.Run())
}

// TestServeSurvivesSIGHUPWhileStarting: systemd accepts `systemctl
// reload` as soon as the binary runs (Type=exec), before the store and the
// configuration are ready. A SIGHUP then must not kill claimgate (the
// default action of SIGHUP); it is kept and handled once serving. Before
// the handler was installed first thing, a SIGHUP 10 ms after the start
// ended the process with status 129 (and the test binary, slower to start, at 40 ms).
func TestServeSurvivesSIGHUPWhileStarting(t *testing.T) {
	if testing.Short() {
		t.Skip("starts claimgate as a child process; run without -short (make test)")
	}
	dir := t.TempDir()
	addr := testutil.FreeAddr(t)
	// The demo writes a complete configuration into its data directory.
	demo := exec.Command(os.Args[0], "demo", "--listen", addr, "--data", dir)
	demo.Env = append(os.Environ(), "CLAIMGATE_TEST_AS_MAIN=1")
	if err := demo.Start(); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "claimgate.yaml")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(dir, "demo-users.json")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the demo did not write its configuration")
		}
	}
	_ = demo.Process.Signal(syscall.SIGTERM)
	_ = demo.Wait()

	for _, delay := range []time.Duration{40 * time.Millisecond, 60 * time.Millisecond} {
		var stderr testutil.SyncBuffer
		cmd := exec.Command(os.Args[0], "serve", "--config", cfg)
		cmd.Env = append(os.Environ(), "CLAIMGATE_TEST_AS_MAIN=1")
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		// Running means serving: wait for the reload the early SIGHUP asked for.
		for deadline := time.Now().Add(20 * time.Second); !strings.Contains(stderr.String(), "configuration reloaded"); time.Sleep(20 * time.Millisecond) {
			if cmd.ProcessState != nil || time.Now().After(deadline) {
				break
			}
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		err := cmd.Wait()
		if err != nil {
			t.Fatalf("SIGHUP %v after the start: %v (exit %d)\n%s", delay, err, cmd.ProcessState.ExitCode(), stderr.String())
		}
		if !strings.Contains(stderr.String(), "configuration reloaded") {
			t.Errorf("SIGHUP %v after the start was not handled once serving:\n%s", delay, stderr.String())
		}
	}
}
