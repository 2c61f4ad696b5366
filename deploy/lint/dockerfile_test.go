package lint

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	digest "github.com/opencontainers/go-digest"
)

// stubResolver answers BuildKit's base-image look-ups without a registry.
type stubResolver struct{}

func (stubResolver) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	return ref, digest.FromString(ref), []byte(`{"architecture":"amd64","os":"linux","config":{}}`), nil
}

// buildkitWarnings converts a Dockerfile as `docker build` would (all stages)
// and returns its errors and every `docker build --check` warning.
func buildkitWarnings(dt []byte) ([]string, error) {
	var warns []string
	_, err := dockerfile2llb.Dockerfile2LLB(context.Background(), dt, dockerfile2llb.ConvertOpt{
		AllStages:    true,
		MetaResolver: stubResolver{},
		Warn: func(rule, _, _, msg string, loc []parser.Range) {
			line := 0
			if len(loc) > 0 {
				line = loc[0].Start.Line
			}
			warns = append(warns, fmt.Sprintf("line %d: %s: %s", line, rule, msg))
		},
	})
	return warns, err
}

func TestDockerfileBuildKitChecks(t *testing.T) {
	dt := []byte(readFile(t, "Dockerfile"))
	if v, _, _, ok := parser.ParseDirective("check", dt); ok {
		t.Errorf("the Dockerfile has a check=%q directive: no BuildKit rule may be switched off", v)
	}
	warns, err := buildkitWarnings(dt)
	if err != nil {
		t.Fatalf("BuildKit refuses the Dockerfile: %v", err)
	}
	for _, w := range warns {
		t.Errorf("docker build --check: %s", w)
	}

	// The same check must bite on a file that breaks its rules.
	bad := []byte("FROM golang:1.26 as Build\nWORKDIR src\nENV API_TOKEN=x\nCMD claimgate serve\n")
	warns, err = buildkitWarnings(bad)
	if err != nil || len(warns) < 4 {
		t.Errorf("BuildKit's rules did not bite on a bad Dockerfile: err %v, warnings %q", err, warns)
	}
}

type dockerfile struct {
	stages   []instructions.Stage
	metaArgs map[string]string
	nodes    []*parser.Node
}

func parseDockerfile(t *testing.T) dockerfile {
	t.Helper()
	res, err := parser.Parse(strings.NewReader(readFile(t, "Dockerfile")))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range res.Warnings {
		t.Errorf("Dockerfile parser: %s", w.Short)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := dockerfile{stages: stages, metaArgs: map[string]string{}, nodes: res.AST.Children}
	lex := shell.NewLex('\\')
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			v := ""
			if kv.Value != nil {
				// Defaults may refer to earlier ARGs (GO_IMAGE uses GO_VERSION).
				r, err := lex.ProcessWordWithMatches(*kv.Value, envMap(d.metaArgs))
				if err != nil {
					t.Fatalf("ARG %s: %v", kv.Key, err)
				}
				v = r.Result
			}
			d.metaArgs[kv.Key] = v
		}
	}
	return d
}

type envMap map[string]string

func (e envMap) Get(k string) (string, bool) { v, ok := e[k]; return v, ok }
func (e envMap) Keys() []string {
	var ks []string
	for k := range e {
		ks = append(ks, k)
	}
	return ks
}

// baseImage is a stage's FROM with the global ARG defaults filled in.
func (d dockerfile) baseImage(t *testing.T, s instructions.Stage) string {
	r, err := shell.NewLex('\\').ProcessWordWithMatches(s.BaseName, envMap(d.metaArgs))
	if err != nil {
		t.Fatalf("FROM %s: %v", s.BaseName, err)
	}
	return r.Result
}

func TestDockerfileRules(t *testing.T) {
	d := parseDockerfile(t)
	if len(d.stages) < 2 {
		t.Fatalf("%d stages, want a multi-stage build (build, then runtime)", len(d.stages))
	}
	names := map[string]bool{}
	for _, s := range d.stages {
		img := d.baseImage(t, s)
		if !names[strings.ToLower(img)] {
			// DL3006, DL3007: an image from a registry has a tag or digest, never latest.
			ref := img
			if i := strings.Index(ref, "@"); i >= 0 {
				if !strings.HasPrefix(ref[i+1:], "sha256:") {
					t.Errorf("FROM %s: a digest must be sha256:...", img)
				}
				ref = ref[:i]
			} else if img != "scratch" {
				last := ref[strings.LastIndex(ref, "/")+1:]
				tag := ""
				if i := strings.Index(last, ":"); i >= 0 {
					tag = last[i+1:]
				}
				if tag == "" {
					t.Errorf("FROM %s: no tag or digest (hadolint DL3006)", img)
				}
				if tag == "latest" {
					t.Errorf("FROM %s: latest is not a pinned version (hadolint DL3007)", img)
				}
			}
		}
		if s.Name != "" {
			names[strings.ToLower(s.Name)] = true
		}
		for _, c := range s.Commands {
			if _, ok := c.(*instructions.AddCommand); ok {
				t.Errorf("stage %q: ADD is not used, COPY is (hadolint DL3020; no ADD of a URL either)", s.Name)
			}
		}
	}

	// The Go version equals go.mod's.
	want := goVersion(t)
	if got := d.metaArgs["GO_VERSION"]; got != want {
		t.Errorf("ARG GO_VERSION=%q, go.mod asks for %q", got, want)
	}
	build := d.stages[0]
	if img := d.baseImage(t, build); !strings.HasPrefix(img, "golang:"+want+"-") && !strings.HasPrefix(img, "golang:"+want+"@") && img != "golang:"+want {
		t.Errorf("build stage FROM %s: want the golang image of Go %s", img, want)
	}

	// The binary is built static and reproducible.
	sawBuild := false
	for _, s := range d.stages[:len(d.stages)-1] {
		cgoOff := false
		for _, c := range s.Commands {
			switch c := c.(type) {
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					if kv.Key == "CGO_ENABLED" && kv.Value == "0" {
						cgoOff = true
					}
				}
			case *instructions.RunCommand:
				line := strings.Join(c.CmdLine, " ")
				if strings.Contains(line, "go build") {
					sawBuild = true
					if !cgoOff && !strings.Contains(line, "CGO_ENABLED=0") {
						t.Errorf("stage %q: go build without CGO_ENABLED=0: %s", s.Name, line)
					}
					if !strings.Contains(line, "-trimpath") {
						t.Errorf("stage %q: go build without -trimpath: %s", s.Name, line)
					}
					if !strings.Contains(line, "./cmd/claimgate") {
						t.Errorf("stage %q: go build does not build ./cmd/claimgate: %s", s.Name, line)
					}
				}
			}
		}
	}
	if !sawBuild {
		t.Error("no stage runs go build")
	}

	final := d.stages[len(d.stages)-1]
	base := d.baseImage(t, final)
	if base != "scratch" && !strings.HasPrefix(base, "gcr.io/distroless/") {
		t.Errorf("final stage FROM %s: want distroless or scratch", base)
	}
	var user string
	var entry, cmd *instructions.ShellDependantCmdLine
	var health *instructions.HealthCheckCommand
	copied := map[string]bool{}
	expose := false
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.RunCommand:
			t.Errorf("final stage: RUN %s: the runtime image has no shell", strings.Join(c.CmdLine, " "))
		case *instructions.CopyCommand:
			if c.Chown == "" {
				t.Errorf("final stage: COPY %s without --chown: say who owns it", strings.Join(c.SourcePaths, " "))
			}
			dest := c.DestPath
			copied[dest] = true
			for _, src := range c.SourcePaths {
				copied[filepath.Join(dest, filepath.Base(src))] = true
			}
		case *instructions.EntrypointCommand:
			entry = &c.ShellDependantCmdLine
		case *instructions.CmdCommand:
			cmd = &c.ShellDependantCmdLine
		case *instructions.HealthCheckCommand:
			health = c
		case *instructions.ExposeCommand:
			expose = len(c.Ports) > 0
		}
	}
	// DL3002: the last USER is not root; numeric so runAsNonRoot can check it.
	if !regexp.MustCompile(`^[0-9]+(:[0-9]+)?$`).MatchString(user) {
		t.Errorf("final stage: USER %q: want a numeric uid:gid", user)
	} else if uid := strings.SplitN(user, ":", 2)[0]; uid == "0" {
		t.Errorf("final stage: USER %q is root (hadolint DL3002)", user)
	}
	if !expose {
		t.Error("final stage: no EXPOSE")
	}
	// DL3025: exec form.
	if entry == nil || entry.PrependShell || len(entry.CmdLine) == 0 {
		t.Errorf("final stage: want ENTRYPOINT in exec (JSON) form, got %+v", entry)
	} else if !copied[entry.CmdLine[0]] {
		t.Errorf("ENTRYPOINT %s is not a file copied into the final stage", entry.CmdLine[0])
	}
	if cmd != nil && cmd.PrependShell {
		t.Errorf("final stage: CMD %q in shell form (hadolint DL3025)", cmd.CmdLine)
	}
	switch {
	case health == nil:
		t.Error("final stage: no HEALTHCHECK (say HEALTHCHECK NONE, with a comment, if there is none)")
	case len(health.Health.Test) > 0 && health.Health.Test[0] == "NONE":
		if c := healthComment(d.nodes); len(strings.TrimSpace(c)) < 20 {
			t.Errorf("HEALTHCHECK NONE without a comment above it saying why (got %q)", c)
		}
	case len(health.Health.Test) > 0 && health.Health.Test[0] != "CMD":
		t.Errorf("HEALTHCHECK %q: want the exec form (CMD [...]) or NONE: distroless has no shell", health.Health.Test)
	}
}

func healthComment(nodes []*parser.Node) string {
	for _, n := range nodes {
		if strings.EqualFold(n.Value, "healthcheck") {
			return strings.Join(n.PrevComment, " ")
		}
	}
	return ""
}

func TestDockerignore(t *testing.T) {
	r := root(t)
	f, err := os.Open(filepath.Join(r, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	excluded := func(rel string) bool {
		ex, err := pm.MatchesOrParentMatches(filepath.ToSlash(rel))
		if err != nil {
			t.Fatal(err)
		}
		return ex
	}

	// Every file of claimgate's own packages that the build reads.
	list := exec.Command("go", "list", "-deps", "-json=Dir,GoFiles,EmbedFiles,Module", "./cmd/claimgate")
	list.Dir = r
	list.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOFLAGS=-buildvcs=false")
	out, err := list.Output()
	if err != nil {
		t.Fatalf("go list -deps ./cmd/claimgate: %v", err)
	}
	need := []string{"go.mod", "go.sum"}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p struct {
			Dir                 string
			GoFiles, EmbedFiles []string
			Module              *struct{ Main bool }
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.Module == nil || !p.Module.Main {
			continue
		}
		for _, name := range append(p.GoFiles, p.EmbedFiles...) {
			rel, err := filepath.Rel(r, filepath.Join(p.Dir, name))
			if err != nil {
				t.Fatal(err)
			}
			need = append(need, rel)
		}
	}
	if len(need) < 50 {
		t.Fatalf("go list found only %d files to build claimgate", len(need))
	}
	for _, rel := range need {
		if excluded(rel) {
			t.Errorf(".dockerignore leaves out %s, which go build ./cmd/claimgate needs", rel)
		}
	}
	for _, rel := range []string{".git/config", "claimgate", "bin/claimgate", "Dockerfile", "docs/admin-guide.md",
		"deploy/systemd/claimgate.service", "internal/app/app_test.go", "sts/testdata/adfs/x.xml",
		"cmd/claimgate/token-signing.key", "internal/x/tls.pem", "certs/sign.pfx", "internal/claimgate.db", "internal/.env"} {
		if !excluded(rel) {
			t.Errorf(".dockerignore lets %s into the build context", rel)
		}
	}
}

// TestStaticBinary does what the Dockerfile's build stage does, without Docker,
// and checks the result can run on distroless/static: no dynamic loader and no
// shared libraries (so modernc.org/sqlite and the rest are pure Go).
func TestStaticBinary(t *testing.T) {
	bin := staticBinary(t)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the CGO_ENABLED=0 binary has an ELF interpreter: it is dynamically linked")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the CGO_ENABLED=0 binary needs shared libraries %v", libs)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) == 0 {
		t.Fatalf("claimgate version: %v %s", err, out)
	}
	t.Logf("static binary: %s", bytes.TrimSpace(out))
}
