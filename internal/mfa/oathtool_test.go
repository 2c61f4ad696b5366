package mfa

import (
	"encoding/hex"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// oathtool (Debian package oathtool, OATH Toolkit) is an independent
// implementation: our codes must equal its codes for random secrets and
// every supported parameter combination. The tool is a required test
// dependency (make test installs it), so its absence fails the test.
func oathtool(t *testing.T, args ...string) string {
	t.Helper()
	path, err := exec.LookPath("oathtool")
	if err != nil {
		t.Fatalf("oathtool not on PATH (apt-get install oathtool): %v", err)
	}
	out, err := exec.Command(path, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("oathtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestTOTPMatchesOathtool(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x6f617468))
	times := []time.Time{
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2033, 5, 18, 3, 33, 29, 0, time.UTC),
		time.Unix(rng.Int64N(4_000_000_000), 0).UTC(),
	}
	for _, alg := range []string{"SHA1", "SHA256", "SHA512"} {
		for _, digits := range []int{6, 8} {
			for _, period := range []time.Duration{30 * time.Second, 60 * time.Second} {
				secret := make([]byte, 10+rng.IntN(55))
				for i := range secret {
					secret[i] = byte(rng.Uint32())
				}
				p := OATHParams{Algorithm: alg, Digits: digits, Period: period}
				for _, tm := range times {
					want := oathtool(t, "--totp="+strings.ToLower(alg), "-d", strconv.Itoa(digits),
						"--time-step-size="+strconv.Itoa(int(period.Seconds()))+"s",
						"--now", tm.Format("2006-01-02 15:04:05 UTC"), "-b", EncodeBase32(secret))
					if got := TOTPAt(secret, tm, p); got != want {
						t.Errorf("%+v secret %x at %s: ours %s, oathtool %s", p, secret, tm, got, want)
					}
				}
			}
		}
	}
}

func TestHOTPMatchesOathtool(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x686f7470))
	for _, digits := range []int{6, 8} {
		for range 4 {
			secret := make([]byte, 20)
			for i := range secret {
				secret[i] = byte(rng.Uint32())
			}
			counter := rng.Uint64N(1 << 40)
			want := oathtool(t, "--hotp", "-d", strconv.Itoa(digits), "-c", strconv.FormatUint(counter, 10), hex.EncodeToString(secret))
			if got := HOTP(secret, counter, OATHParams{Digits: digits}); got != want {
				t.Errorf("secret %x counter %d: ours %s, oathtool %s", secret, counter, got, want)
			}
		}
	}
}
