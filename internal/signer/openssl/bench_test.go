//go:build openssl && cgo

package openssl_test

import (
	"crypto"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/internal/signer/openssl"
	"github.com/claimgate/claimgate/internal/signer/signertest"
	"github.com/claimgate/claimgate/internal/testutil"
)

// BenchmarkSignRatio measures this signer against OpenSSL's own RSA-2048
// signing rate on the same machine (`openssl speed rsa2048`, run once
// before the loop) and reports sign/s, openssl-sign/s and their ratio.
// The target is a ratio of at least 0.9; it is reported, never asserted,
// because a shared machine makes any timing noisy.
func BenchmarkSignRatio(b *testing.B) {
	ref := opensslSpeed(b)
	k, _ := signertest.KeyPair(b)
	s, err := openssl.New(k)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rate := signertest.Benchmark(b, s)
	b.ReportMetric(ref, "openssl-sign/s")
	b.ReportMetric(rate/ref, "ratio")
}

// BenchmarkSignParallel is the rate with every core signing.
func BenchmarkSignParallel(b *testing.B) {
	k, _ := signertest.KeyPair(b)
	s, err := openssl.New(k)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	d := make([]byte, 32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Sign(nil, d, crypto.SHA256); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// opensslSpeed runs `openssl speed -seconds 1 -mr rsa2048` and returns its
// RSA-2048 signatures per second, from the machine-readable line
// "+F2:<n>:2048:<sign/s>:<verify/s>".
func opensslSpeed(b *testing.B) float64 {
	b.Helper()
	bin := testutil.RequireTool(b, "openssl")
	out, err := exec.Command(bin, "speed", "-seconds", "1", "-mr", "rsa2048").CombinedOutput()
	if err != nil {
		b.Fatalf("openssl speed: %v\n%s", err, out)
	}
	rate, err := parseSpeed(string(out))
	if err != nil {
		b.Fatalf("%v in:\n%s", err, out)
	}
	return rate
}

func parseSpeed(out string) (float64, error) {
	for line := range strings.Lines(out) {
		f := strings.Split(strings.TrimSpace(line), ":")
		if len(f) == 5 && f[0] == "+F2" && f[2] == "2048" {
			return strconv.ParseFloat(f[3], 64)
		}
	}
	return 0, errors.New("openssl speed: no +F2 line for rsa2048")
}

func TestParseSpeed(t *testing.T) {
	// What OpenSSL 3.0.19 on Debian 12 prints.
	const out = "+DTP:2048:private:rsa:1\n+R1:3761:2048:0.94\n+DTP:2048:public:rsa:1\n+R2:37433:2048:0.59\n+F2:2:2048:4001.063830:63445.762712\n"
	if got, err := parseSpeed(out); err != nil || got != 4001.063830 {
		t.Errorf("parseSpeed = %v, %v", got, err)
	}
	if _, err := parseSpeed("+R1:3761:2048:0.94\n"); err == nil {
		t.Error("no F2 line: no error")
	}
}
