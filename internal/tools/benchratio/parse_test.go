package main

import (
	"slices"
	"testing"
	"time"
)

// Captured from go test ./sts -run '^$' -bench 'IssueWSFed$|RSASign$'
// -benchmem -count 2 on the 2-core CI machine, plus a line without the
// GOMAXPROCS suffix and a sub-benchmark that must not count.
const captured = `goos: linux
goarch: amd64
pkg: github.com/claimgate/claimgate/sts
cpu: AMD EPYC
BenchmarkIssueWSFed-2   	     921	   1283825 ns/op	  114727 B/op	    1080 allocs/op
BenchmarkIssueWSFed-2   	     956	   1281515 ns/op	  114719 B/op	    1080 allocs/op
BenchmarkRSASign-2      	    1120	   1053631 ns/op	     512 B/op	       2 allocs/op
BenchmarkRSASign        	    1111	   1073814.5 ns/op	     512 B/op	       2 allocs/op
BenchmarkRSASignPSS-2   	    1000	   9999999 ns/op
BenchmarkRSASign/sub-2  	    1000	   8888888 ns/op
PASS
ok  	github.com/claimgate/claimgate/sts	4.806s
`

func TestNsPerOp(t *testing.T) {
	for name, want := range map[string][]float64{
		"IssueWSFed": {1283825, 1281515},
		"RSASign":    {1053631, 1073814.5},
	} {
		got, err := nsPerOp([]byte(captured), name)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("nsPerOp(%s) = %v, %v; want %v", name, got, err, want)
		}
	}
	rs, err := results([]byte(captured), "RSASign")
	if err != nil || len(rs) != 2 || rs[0] != (result{1120, 1053631}) || rs[1] != (result{1111, 1073814.5}) {
		t.Errorf("results(RSASign) = %v, %v", rs, err)
	}
	// Metrics reported before ns/op do not confuse it (ReportMetric sorts units).
	got, err := nsPerOp([]byte("BenchmarkX-8 3 39845888 budget-B 685014234 ns/op\n"), "X")
	if err != nil || !slices.Equal(got, []float64{685014234}) {
		t.Errorf("with extra metrics: %v, %v", got, err)
	}
	for what, out := range map[string]string{
		"missing":     captured,
		"failed run":  "--- FAIL: BenchmarkResponse\nFAIL\n",
		"bad number":  "BenchmarkResponse-2 10 abc ns/op\n",
		"zero ns/op":  "BenchmarkResponse-2 10 0 ns/op\n",
		"bad count":   "BenchmarkResponse-2 ten 5 ns/op\n",
		"no ns/op":    "BenchmarkResponse-2 10 12 B/op 3 allocs/op\n",
		"other bench": "BenchmarkResponseXML-2 10 5 ns/op\n",
	} {
		if got, err := nsPerOp([]byte(out), "Response"); err == nil {
			t.Errorf("%s: got %v, want an error", what, got)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{[]float64{0.8}, 0.8}, {[]float64{0.9, 0.7, 0.8}, 0.8}, {[]float64{4, 1, 3, 2}, 2.5}} {
		in := slices.Clone(c.in)
		if got := median(in); got != c.want || !slices.Equal(in, c.in) {
			t.Errorf("median(%v) = %v (input now %v), want %v", c.in, got, in, c.want)
		}
	}
}

// TestCPUPerOp: the fixed cost of a process (start, set-up, the first
// iteration) is taken off before dividing by the other iterations.
func TestCPUPerOp(t *testing.T) {
	fixed := 50 * time.Millisecond
	m := measurement{n: 101, cpu: fixed + 100*time.Millisecond}
	if got := m.cpuPerOp(fixed); got != float64(time.Millisecond) {
		t.Errorf("cpuPerOp = %v ns, want %v", got, float64(time.Millisecond))
	}
	if got := (measurement{n: 1, cpu: fixed}).cpuPerOp(fixed); got != float64(fixed) {
		t.Errorf("one iteration: cpuPerOp = %v, want the whole process's %v", got, float64(fixed))
	}
}
