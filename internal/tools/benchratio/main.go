package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// bench is one benchmark of one package.
type bench struct{ pkg, name string }

// pair is a ratio to report: base ns/op ÷ subject ns/op, the subject's
// throughput as a share of the base's.
type pair struct {
	title         string
	base, subject bench
	target        float64 // 0: none set
}

const module = "github.com/claimgate/claimgate"

func pairs() []pair {
	rsa := bench{module + "/sts", "RSASign"}
	return []pair{
		{"WS-Fed issuance vs one RSA-2048 signature (RSASign ns/op ÷ IssueWSFed ns/op)", rsa, bench{module + "/sts", "IssueWSFed"}, 0.92},
		{"SAML 2.0 Response vs one RSA-2048 signature (RSASign ns/op ÷ saml2 Response ns/op)", rsa, bench{module + "/sts/saml2", "Response"}, 0},
		// The peer (sts/saml2/peer_bench_test.go): crewjam/saml's
		// IdentityProvider making the same signed, encrypted Response with
		// the same key, in the same test binary as ours.
		{"SAML 2.0 Response vs crewjam/saml's (CrewjamResponse ns/op ÷ saml2 Response ns/op)",
			bench{module + "/sts/saml2", "CrewjamResponse"}, bench{module + "/sts/saml2", "Response"}, 2},
	}
}

func main() {
	short := flag.Bool("short", false, "3 interleaved runs of 50 iterations of each benchmark (scripts/test.sh)")
	count := flag.Int("count", 3, "interleaved runs of each benchmark (at least 3 for a median that means something)")
	benchtime := flag.String("benchtime", "1s", "go test -benchtime of each run")
	flag.Parse()
	if *short {
		*count, *benchtime = 3, "50x"
	}
	if err := run(os.Stdout, *count, *benchtime); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// testBinary is a compiled test binary and the package directory it must
// run in (its testdata).
type testBinary struct{ path, dir string }

// baselineRuns is how many -benchtime 1x runs measure what a process
// costs besides the measured iterations (start, set-up, one iteration).
const baselineRuns = 3

func run(w io.Writer, count int, benchtime string) error {
	if count < 1 {
		return fmt.Errorf("benchratio: -count must be at least 1")
	}
	tmp, err := os.MkdirTemp("", "benchratio-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// One build per package, so every run measures the same binary and
	// none pays for compiling.
	bins := map[string]testBinary{}
	for _, p := range pairs() {
		for _, b := range []bench{p.base, p.subject} {
			if _, ok := bins[b.pkg]; ok {
				continue
			}
			if bins[b.pkg], err = compile(tmp, b.pkg, len(bins)); err != nil {
				return err
			}
		}
	}
	// Each benchmark's fixed cost in CPU: a process that runs one
	// iteration. It is taken off every measured run's CPU time.
	fixed := map[bench]time.Duration{}
	for _, p := range pairs() {
		for _, b := range []bench{p.base, p.subject} {
			if _, ok := fixed[b]; ok {
				continue
			}
			var cpus []float64
			for range baselineRuns {
				m, err := measure(bins[b.pkg], b.name, "1x")
				if err != nil {
					return err
				}
				cpus = append(cpus, float64(m.cpu))
			}
			fixed[b] = time.Duration(median(cpus))
		}
	}
	fmt.Fprintf(w, "benchratio: %d interleaved run(s) of each benchmark, -benchtime %s; wall and CPU time per op; reported, not asserted\n",
		count, benchtime)
	for _, p := range pairs() {
		fmt.Fprintln(w, p.title)
		var wall, cpu []float64
		for i := range count {
			base, err := measure(bins[p.base.pkg], p.base.name, benchtime)
			if err != nil {
				return err
			}
			subj, err := measure(bins[p.subject.pkg], p.subject.name, benchtime)
			if err != nil {
				return err
			}
			bc, sc := base.cpuPerOp(fixed[p.base]), subj.cpuPerOp(fixed[p.subject])
			wall = append(wall, base.ns/subj.ns)
			cpu = append(cpu, bc/sc)
			fmt.Fprintf(w, "  run %d: %s %.0f ns/op (CPU %.0f), %s %.0f ns/op (CPU %.0f); ratio wall %.3f, CPU %.3f\n",
				i+1, p.base.name, base.ns, bc, p.subject.name, subj.ns, sc, base.ns/subj.ns, bc/sc)
		}
		target := ""
		if p.target > 0 {
			target = fmt.Sprintf(" (target >= %.2f)", p.target)
		}
		fmt.Fprintf(w, "  median ratio: wall %.3f, CPU %.3f%s\n", median(wall), median(cpu), target)
	}
	return nil
}

// measurement is one benchmark process: what the benchmark reported, and
// the CPU time (user + system, all threads, from the kernel's rusage of
// the child) the whole process spent.
type measurement struct {
	n   int64
	ns  float64
	cpu time.Duration
}

// cpuPerOp is the CPU time of one iteration: the process's CPU less its
// fixed cost (a run of one iteration), over the other iterations. The
// benchmarks use b.Loop, so set-up runs once per process whatever the
// iteration count.
func (m measurement) cpuPerOp(fixed time.Duration) float64 {
	if m.n <= 1 {
		return float64(m.cpu)
	}
	return float64(m.cpu-fixed) / float64(m.n-1)
}

func compile(tmp, pkg string, n int) (testBinary, error) {
	dir, err := goCmd("list", "-f", "{{.Dir}}", pkg)
	if err != nil {
		return testBinary{}, err
	}
	bin := filepath.Join(tmp, fmt.Sprintf("%d.test", n))
	if _, err := goCmd("test", "-c", "-o", bin, pkg); err != nil {
		return testBinary{}, err
	}
	return testBinary{path: bin, dir: strings.TrimSpace(dir)}, nil
}

// measure runs Benchmark<name> once in its own process and returns its
// result and the process's CPU time. The process runs alone (nothing
// else of benchratio's), so its rusage is the benchmark's.
func measure(t testBinary, name, benchtime string) (measurement, error) {
	cmd := exec.Command(t.path, "-test.run", "^$", "-test.bench", "^Benchmark"+name+"$",
		"-test.benchtime", benchtime, "-test.count", "1")
	cmd.Dir = t.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return measurement{}, fmt.Errorf("benchratio: Benchmark%s: %v\n%s", name, err, out)
	}
	rs, err := results(out, name)
	if err != nil {
		return measurement{}, fmt.Errorf("%w\n%s", err, out)
	}
	if len(rs) != 1 {
		return measurement{}, fmt.Errorf("benchratio: Benchmark%s: %d results, want 1", name, len(rs))
	}
	ps := cmd.ProcessState
	return measurement{n: rs[0].n, ns: rs[0].ns, cpu: ps.UserTime() + ps.SystemTime()}, nil
}

func goCmd(args ...string) (string, error) {
	var stderr bytes.Buffer
	cmd := exec.Command("go", args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("benchratio: go %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return string(out), nil
}
