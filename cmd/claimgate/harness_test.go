package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/testutil"
)

// syncBuffer collects output written from the server's goroutines.
type syncBuffer = testutil.SyncBuffer

// runCmd runs the real command line in-process and returns its exit code
// and output.
func runCmd(t testing.TB, stdin string, getenv func(string) string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb syncBuffer
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	code := run(&env{ctx: context.Background(), stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: getenv}, args)
	return code, out.String(), errb.String()
}

// demoCreds is what the demo printed for one user.
type demoCreds struct {
	Password, URI, Secret string
}

// runningDemo is `claimgate demo` started in-process on a free port.
type runningDemo struct {
	base   string
	dir    string
	users  map[string]demoCreds
	stdout *syncBuffer
	stderr *syncBuffer
}

var demoLine = regexp.MustCompile(`(?m)^(\w+)  password: (\S+)  (otpauth://\S+)$`)

// startDemo runs `claimgate demo --listen ADDR --data DIR` until the test
// ends, and parses the credentials it prints exactly as a newcomer reads them.
func startDemo(t testing.TB, dir string) *runningDemo {
	t.Helper()
	addr := testutil.FreeAddr(t)
	d := &runningDemo{base: "http://" + addr, dir: dir, stdout: &syncBuffer{}, stderr: &syncBuffer{}, users: map[string]demoCreds{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(&env{ctx: ctx, stdin: strings.NewReader(""), stdout: d.stdout, stderr: d.stderr,
			getenv: func(string) string { return "" }}, []string{"demo", "--listen", addr, "--data", dir})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("demo exited with %d: %s", code, d.stderr.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("demo did not stop within 15 s of its context ending")
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(d.stdout.String(), "Stop with Ctrl-C") {
		select {
		case code := <-done:
			t.Fatalf("demo exited early with %d: %s", code, d.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo did not start: stdout %q stderr %q", d.stdout.String(), d.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, m := range demoLine.FindAllStringSubmatch(d.stdout.String(), -1) {
		sec := regexp.MustCompile(`secret=([A-Z2-7]+)`).FindStringSubmatch(m[3])
		if sec == nil {
			t.Fatalf("no secret in %q", m[3])
		}
		d.users[m[1]] = demoCreds{Password: m[2], URI: m[3], Secret: sec[1]}
	}
	if len(d.users) < 2 {
		t.Fatalf("demo printed %d user lines, want 2:\n%s", len(d.users), d.stdout.String())
	}
	return d
}
