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
	short := flag.Bool("short", false, "one run of 100 iterations of each benchmark (scripts/test.sh)")
	count := flag.Int("count", 3, "interleaved runs of each benchmark")
	benchtime := flag.String("benchtime", "1s", "go test -benchtime of each run")
	flag.Parse()
	if *short {
		*count, *benchtime = 1, "100x"
	}
	if err := run(os.Stdout, *count, *benchtime); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// testBinary is a compiled test binary and the package directory it must
// run in (its testdata).
type testBinary struct{ path, dir string }

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
	fmt.Fprintf(w, "benchratio: %d interleaved run(s) of each benchmark, -benchtime %s; reported, not asserted\n", count, benchtime)
	for _, p := range pairs() {
		fmt.Fprintln(w, p.title)
		var ratios []float64
		for i := range count {
			base, err := measure(bins[p.base.pkg], p.base.name, benchtime)
			if err != nil {
				return err
			}
			subj, err := measure(bins[p.subject.pkg], p.subject.name, benchtime)
			if err != nil {
				return err
			}
			ratios = append(ratios, base/subj)
			fmt.Fprintf(w, "  run %d: %s %.0f ns/op, %s %.0f ns/op, ratio %.3f\n", i+1, p.base.name, base, p.subject.name, subj, base/subj)
		}
		target := ""
		if p.target > 0 {
			target = fmt.Sprintf(" (target >= %.2f)", p.target)
		}
		fmt.Fprintf(w, "  median ratio %.3f%s\n", median(ratios), target)
	}
	return nil
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
// ns/op.
func measure(t testBinary, name, benchtime string) (float64, error) {
	cmd := exec.Command(t.path, "-test.run", "^$", "-test.bench", "^Benchmark"+name+"$",
		"-test.benchtime", benchtime, "-test.count", "1")
	cmd.Dir = t.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("benchratio: Benchmark%s: %v\n%s", name, err, out)
	}
	ns, err := nsPerOp(out, name)
	if err != nil {
		return 0, fmt.Errorf("%w\n%s", err, out)
	}
	if len(ns) != 1 {
		return 0, fmt.Errorf("benchratio: Benchmark%s: %d results, want 1", name, len(ns))
	}
	return ns[0], nil
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
