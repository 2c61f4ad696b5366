package main

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// result is one result line of a benchmark: its iterations and ns/op.
type result struct {
	n  int64
	ns float64
}

// nsPerOp returns the ns/op of every result line of Benchmark<name> in the
// output of go test -bench, in order.
func nsPerOp(out []byte, name string) ([]float64, error) {
	rs, err := results(out, name)
	ns := make([]float64, len(rs))
	for i, r := range rs {
		ns[i] = r.ns
	}
	return ns, err
}

// results returns every result line of Benchmark<name> in the output of
// go test -bench, in order. A line names the benchmark as BenchmarkName
// or BenchmarkName-P (P is GOMAXPROCS, left off when 1); sub-benchmarks
// (BenchmarkName/sub) and other benchmarks are not name.
func results(out []byte, name string) ([]result, error) {
	want := "Benchmark" + name
	var rs []result
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !isName(f[0], want) {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("benchratio: %s: bad iteration count %q", want, f[1])
		}
		// name, iterations, then value-unit pairs: 1283825 ns/op 114727 B/op ...
		for i := 2; i+1 < len(f); i += 2 {
			if f[i+1] != "ns/op" {
				continue
			}
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil || v <= 0 {
				return nil, fmt.Errorf("benchratio: %s: bad ns/op %q", want, f[i])
			}
			rs = append(rs, result{n: n, ns: v})
		}
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("benchratio: no result for %s in the benchmark output", want)
	}
	return rs, nil
}

func isName(field, want string) bool {
	rest, ok := strings.CutPrefix(field, want)
	if !ok {
		return false
	}
	if rest == "" {
		return true
	}
	procs, ok := strings.CutPrefix(rest, "-")
	_, err := strconv.Atoi(procs)
	return ok && err == nil
}

// median of xs, which must not be empty; the mean of the middle two for
// an even count.
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
