package sqlitestore

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// helperEnv makes the test binary act as a second claimgate process (the
// admin CLI) working on the same database file.
const helperEnv = "CLAIMGATE_STORE_HELPER_DB"

// serveHelperEnv makes the test binary a second claimgate serve: it opens
// the database named by the variable with Options.Serve, prints "opened"
// or the error on one line, and exits.
const serveHelperEnv = "CLAIMGATE_STORE_HELPER_SERVE"

func TestMain(m *testing.M) {
	if path := os.Getenv(serveHelperEnv); path != "" {
		s, err := Open(context.Background(), path, Options{Key: testKey, Serve: true})
		if err != nil {
			fmt.Println(err)
			os.Exit(0)
		}
		s.Close()
		fmt.Println("opened")
		os.Exit(0)
	}
	if path := os.Getenv(helperEnv); path != "" {
		n, err := hammer(path, false)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(n)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const (
	hammerGoroutines = 10
	hammerFailures   = 20
)

// hammer submits one code from several goroutines and records failures; it
// returns how many submissions were fresh. serve opens the file as
// claimgate serve does (the serve lock held meanwhile).
func hammer(path string, serve bool) (int32, error) {
	ctx := context.Background()
	s, err := Open(ctx, path, Options{Key: testKey, Serve: serve})
	if err != nil {
		return 0, err
	}
	defer s.Close()
	var fresh atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, hammerGoroutines*(hammerFailures+1))
	for range hammerGoroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.UseCode(ctx, "alice", "f1", "totp:42", t0.Add(time.Hour))
			if err != nil {
				errs <- err
			}
			if ok {
				fresh.Add(1)
			}
			for range hammerFailures {
				if _, err := s.RecordFailure(ctx, "user:alice", t0, time.Hour); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return 0, err
	}
	return fresh.Load(), nil
}

// TestTwoProcessesShareTheFile runs the server-side (holding the serve
// lock, as claimgate serve does) and a CLI-side process against one file
// at the same time: one code is fresh exactly once across both, and no
// failure count is lost.
func TestTwoProcessesShareTheFile(t *testing.T) {
	path := dbPath(t)
	openT(t, path, testKey).Close() // create and migrate first

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	mine, err := hammer(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper process: %v: %s", err, out.String())
	}
	theirs, err := strconv.Atoi(strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatalf("helper output %q", out.String())
	}
	if total := int(mine) + theirs; total != 1 {
		t.Errorf("fresh across processes = %d (mine %d, theirs %d), want 1", total, mine, theirs)
	}
	s := openT(t, path, testKey)
	n, err := s.RecordFailure(context.Background(), "user:alice", t0, time.Hour)
	if want := 2*hammerGoroutines*hammerFailures + 1; n != want || err != nil {
		t.Errorf("failure count = %d, %v; want %d", n, err, want)
	}
}
