package lint

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// root is the claimgate repository: this module lives in deploy/lint.
func root(t *testing.T) string {
	t.Helper()
	r, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(r, "go.mod")); err != nil {
		t.Fatalf("claimgate's go.mod not found two levels up: %v", err)
	}
	return r
}

func readFile(t *testing.T, parts ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{root(t)}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
	buildOut  []byte
)

// staticBinary builds ./cmd/claimgate the way the Dockerfile does
// (CGO_ENABLED=0, -trimpath), once per test run.
func staticBinary(t *testing.T) string {
	t.Helper()
	r := root(t)
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "claimgate-deploylint-")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(buildDir, "claimgate"), "./cmd/claimgate")
		cmd.Dir = r
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("CGO_ENABLED=0 go build ./cmd/claimgate: %v\n%s", buildErr, buildOut)
	}
	return filepath.Join(buildDir, "claimgate")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// goVersion is the go (or, if present, toolchain) version go.mod asks for.
func goVersion(t *testing.T) string {
	t.Helper()
	v := ""
	for _, line := range strings.Split(readFile(t, "go.mod"), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == "go" && v == "" {
			v = f[1]
		}
		if len(f) == 2 && f[0] == "toolchain" {
			v = strings.TrimPrefix(f[1], "go")
		}
	}
	if v == "" {
		t.Fatal("go.mod has no go line")
	}
	return v
}
