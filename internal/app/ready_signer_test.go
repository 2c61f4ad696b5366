package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/signer"
)

// countingProber is a signer's Probe that fails while err is set.
type countingProber struct {
	mu    sync.Mutex
	calls int
	err   error
}

func (p *countingProber) Probe() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	return p.err
}

// TestReadinessProbesSignerAtMostEvery30s: a signer that can probe
// itself is asked at the first /readyz and then at most once per
// signerProbeEvery, however often /readyz is polled; a failing probe makes
// the instance not ready, naming the signer, until a later probe passes.
func TestReadinessProbesSignerAtMostEvery30s(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &countingProber{}
	r := &readiness{signer: p, now: func() time.Time { return now }, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	check := func(want bool, wantLine string) {
		t.Helper()
		_, good, line := r.checkSigner(r.now())
		if good != want || !strings.Contains(line, wantLine) {
			t.Errorf("at %s: %v %q, want %v %q", now.Format(time.TimeOnly), good, line, want, wantLine)
		}
	}
	for range 5 {
		check(true, "ok, a test signature made")
	}
	if p.calls != 1 {
		t.Errorf("%d probes for 5 polls within the interval, want 1", p.calls)
	}
	p.err = errors.New("pkcs11: signing: CKR_DEVICE_REMOVED")
	now = now.Add(signerProbeEvery - time.Second)
	check(true, "ok") // the cached answer
	now = now.Add(time.Second)
	check(false, "CKR_DEVICE_REMOVED")
	p.err = nil
	now = now.Add(time.Second)
	check(false, "CKR_DEVICE_REMOVED") // cached until the next probe
	now = now.Add(signerProbeEvery)
	check(true, "ok")
	if p.calls != 3 {
		t.Errorf("%d probes, want 3", p.calls)
	}
}

// TestReadyzProbesPKCS11Signer: with signing.signer pkcs11, /readyz
// has a signer line that follows the HSM: ok while it signs, 503 once
// it cannot (here the signer closed under it), at the next probe.
func TestReadyzProbesPKCS11Signer(t *testing.T) {
	if signer.Check(signer.KindPKCS11) != nil {
		// Without -tags pkcs11 there is no pkcs11 signer to probe;
		// scripts/test.sh runs this package again with the tag.
		return
	}
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := Build(ctx, signerConfig(t, signer.KindPKCS11), Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if code, body, _ := readyz(t, a); code != http.StatusOK || !strings.Contains(body, "signer: ok") {
		t.Fatalf("/readyz with a working HSM: %d\n%s", code, body)
	}
	_ = a.Signer.Close()
	mu.Lock()
	now = now.Add(signerProbeEvery)
	mu.Unlock()
	if code, body, _ := readyz(t, a); code != http.StatusServiceUnavailable || !strings.Contains(body, "signer: pkcs11: the signer is closed") {
		t.Errorf("/readyz with the signer gone: %d\n%s", code, body)
	}
}
