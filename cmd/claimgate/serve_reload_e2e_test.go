package main

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/testutil"
)

// certPEMFile writes c as PEM for xmlsec1 --pubkey-cert-pem.
func certPEMFile(t *testing.T, c *x509.Certificate) string {
	t.Helper()
	return testutil.WriteTemp(t, "cert.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

// xmlsecSignedBy checks with xmlsec1 that doc verifies against want and
// against none of the others.
func xmlsecSignedBy(t *testing.T, what string, doc []byte, idAttr string, want *x509.Certificate, others ...*x509.Certificate) {
	t.Helper()
	if out, ok := testutil.XMLSecVerify(t, doc, idAttr, certPEMFile(t, want)); !ok {
		t.Errorf("%s: xmlsec1 does not verify it against %s:\n%s", what, want.Subject.CommonName, out)
	}
	for _, o := range others {
		if _, ok := testutil.XMLSecVerify(t, doc, idAttr, certPEMFile(t, o)); ok {
			t.Errorf("%s: xmlsec1 verifies it against %s too", what, o.Subject.CommonName)
		}
	}
}

func names(cs []*x509.Certificate) string {
	var n []string
	for _, c := range cs {
		n = append(n, c.Subject.CommonName)
	}
	return "[" + strings.Join(n, ", ") + "]"
}

func sameCerts(got []*x509.Certificate, want ...*x509.Certificate) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !bytes.Equal(got[i].Raw, want[i].Raw) {
			return false
		}
	}
	return true
}

// rolloverPhase is what one stable stretch of the rollover must show.
type rolloverPhase struct {
	name      string
	signer    *x509.Certificate   // signs tokens and metadata
	published []*x509.Certificate // in the metadata, in this order
}

// observation is one request of the background traffic: the phases
// current when it started and when it ended (odd: a reload under way)
// and what it saw.
type observation struct {
	metadata   bool // a metadata fetch, else a sign-in
	start, end int64
	signer     *x509.Certificate   // of the token or the metadata
	published  []*x509.Certificate // metadata only
	err        error
}

// TestServeReloadRollsTheSigningKeyOver runs the rollover runbook against
// a running `claimgate serve` while goroutines keep signing users in
// through the login pages (password, then an SMS code) and fetching the
// metadata: (1) key A signs; (2) B added as keys[1] and reloaded: the
// metadata lists A and B, tokens are still A's; (3) promoted (keys: [B,
// A]) and reloaded while a sign-in is held in flight inside the old
// configuration: the held request finishes, the old configuration is
// closed only after it, tokens verify with xmlsec1 against B and not A;
// (4) A retired: the metadata lists only B. Then bad files (a key that
// does not match its certificate, broken YAML, a changed server.listen)
// are refused with their problem in the log, and B keeps signing. Not one
// request of the traffic fails.
func TestServeReloadRollsTheSigningKeyOver(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; run without -short (make test)")
	}
	gw := newHoldGateway(t)
	var users []e2eUser
	for i := range 3 {
		users = append(users, e2eUser{Name: fmt.Sprintf("worker%d", i), Password: newPassword(t), Mobile: fmt.Sprintf("+1555010010%d", i)})
	}
	held := e2eUser{Name: "held", Password: newPassword(t), Mobile: "+15550100199"}
	fx := newFixture(t, append(users, held)...)
	fx.writeConfig(t, serveConfig{extra: smsConfig(gw)})
	a := fx.cert
	bPair, bFiles := newKeyFiles(t, fx.dir, "signing-b", 0, 730*24*time.Hour)
	b := bPair.Certificate
	aFiles := [2]string{"signing.crt", "signing.key"}
	// A reload waits for the old configuration's requests up to
	// shutdown_timeout; the held request must finish well within it.
	raise := func() {
		cfg, _ := os.ReadFile(fx.cfgPath)
		os.WriteFile(fx.cfgPath, bytes.Replace(cfg, []byte("shutdown_timeout: 5s"), []byte("shutdown_timeout: 60s"), 1), 0o600)
	}
	raise()
	fx.rp.trusted = []*x509.Certificate{a, b} // AD FS, once it has read both from the metadata
	hup := make(chan os.Signal, 1)
	srv := startReloadable(t, fx, hup, http.DefaultClient, fx.base)

	phases := []rolloverPhase{
		{"A signs", a, []*x509.Certificate{a}},
		{"B published, A signs", a, []*x509.Certificate{a, b}},
		{"B promoted", b, []*x509.Certificate{b, a}},
		{"A retired", b, []*x509.Certificate{b}},
	}
	var phase atomic.Int64 // 2*i in phases[i]; odd while a reload is under way
	var mu sync.Mutex
	var obs []observation
	record := func(o observation) {
		mu.Lock()
		obs = append(obs, o)
		mu.Unlock()
	}
	stop := make(chan struct{})
	var workers sync.WaitGroup
	for _, u := range users {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				o := observation{start: phase.Load()}
				wresult, err := smsSignIn(fx, gw, u)
				if err == nil {
					o.signer, err = signerOf(wresult, a, b)
				}
				o.end, o.err = phase.Load(), err
				record(o)
			}
		}()
	}
	for range 2 {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				o := observation{metadata: true, start: phase.Load()}
				_, md, err := fetchMetadata(http.DefaultClient, fx.base, a, b)
				if err == nil {
					o.signer, o.published = md.SignedBy, md.SigningCerts
				}
				o.end, o.err = phase.Load(), err
				record(o)
			}
		}()
	}
	stopped := false
	stopWorkers := func() {
		if !stopped {
			stopped = true
			close(stop)
			workers.Wait()
		}
	}
	t.Cleanup(stopWorkers)

	// settle waits until every sign-in worker has finished a sign-in that
	// ran wholly within the current phase, and a metadata fetch has too.
	settle := func(t *testing.T) {
		t.Helper()
		p := phase.Load()
		deadline := time.Now().Add(90 * time.Second)
		for {
			mu.Lock()
			tokens, mds := 0, 0
			for _, o := range obs {
				if o.start == p && o.end == p && o.err == nil {
					if !o.metadata {
						tokens++
					} else {
						mds++
					}
				}
			}
			mu.Unlock()
			if tokens >= len(users) && mds >= 1 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("phase %d: only %d sign-ins and %d metadata fetches completed within it", p, tokens, mds)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// reloadTo writes keys into the file and reloads; the phase is odd
	// while the reload is under way.
	reloadTo := func(t *testing.T, i int, keys ...[2]string) []logRecord {
		t.Helper()
		setSigning(t, fx.cfgPath, keys)
		phase.Store(int64(2*i - 1))
		recs, ok := srv.reload(t, hup)
		if !ok {
			t.Fatalf("reload to %q refused:\n%s", phases[i].name, srv.stderr.String())
		}
		phase.Store(int64(2 * i))
		return recs
	}
	// check verifies the metadata and a fresh token of phase i with
	// xmlsec1 and reads the metadata as AD FS does.
	check := func(t *testing.T, i int) {
		t.Helper()
		ph := phases[i]
		other := a
		if ph.signer == a {
			other = b
		}
		doc, md, err := fetchMetadata(http.DefaultClient, fx.base, a, b)
		if err != nil {
			t.Fatalf("metadata: %v", err)
		}
		if !sameCerts(md.SigningCerts, ph.published...) || !bytes.Equal(md.SignedBy.Raw, ph.signer.Raw) {
			t.Errorf("metadata publishes %s signed by %s; want %s signed by %s", names(md.SigningCerts), md.SignedBy.Subject.CommonName,
				names(ph.published), ph.signer.Subject.CommonName)
		}
		xmlsecSignedBy(t, ph.name+": metadata", doc, testutil.XMLSecMetadataID, ph.signer, other)
		wresult, err := smsSignIn(fx, gw, held)
		if err != nil {
			t.Fatalf("sign-in: %v", err)
		}
		xmlsecSignedBy(t, ph.name+": token", []byte(wresult), testutil.XMLSecAssertionID, ph.signer, other)
	}

	t.Run("1 A signs", func(t *testing.T) {
		settle(t)
		check(t, 0)
	})
	t.Run("2 B published", func(t *testing.T) {
		recs := reloadTo(t, 1, aFiles, bFiles)
		last := recs[len(recs)-1]
		if last.str("signing") != certs.ThumbprintSHA1(a) || last.str("published") != certs.ThumbprintSHA1(a)+","+certs.ThumbprintSHA1(b) ||
			last.str("published_before") != certs.ThumbprintSHA1(a) || last.str("signing_before") != "" {
			t.Errorf("reload record does not say what changed: %v", last)
		}
		settle(t)
		check(t, 1)
	})
	t.Run("3 B promoted while a sign-in is in flight", func(t *testing.T) {
		// The held user's code page waits in the SMS gateway: that GET is
		// running inside the configuration signed by A when B takes over.
		release := gw.holdPhone(held.Mobile)
		defer release()
		hb := newBrowser(nil)
		if err := hb.get("begin", fx.rp.beginURL()); err != nil {
			t.Fatal(err)
		}
		type result struct {
			wresult string
			err     error
		}
		done := make(chan result, 1)
		go func() {
			w, err := hb.finishSMS(fx, gw, held)
			done <- result{w, err}
		}()
		select {
		case <-gw.arrived:
		case r := <-done:
			t.Fatalf("the held sign-in ended before its SMS was held: %v", r.err)
		}
		recs := reloadTo(t, 2, bFiles, aFiles)
		last := recs[len(recs)-1]
		if last.str("signing") != certs.ThumbprintSHA1(b) || last.str("signing_before") != certs.ThumbprintSHA1(a) {
			t.Errorf("reload record: %v", last)
		}
		release()
		r := <-done
		if r.err != nil {
			t.Fatalf("the sign-in in flight across the reload failed: %v", r.err)
		}
		// Its code was posted after the promotion: B signed its token.
		xmlsecSignedBy(t, "token of the sign-in that straddled the reload", []byte(r.wresult), testutil.XMLSecAssertionID, b, a)
		// The old configuration was closed only once the held request had
		// finished: its access-log record comes first.
		var heldID string
		for _, step := range hb.trail {
			if f := strings.Fields(step); len(f) == 3 && f[0] == "GET" && f[1] == "/login/code" {
				heldID = f[2]
			}
		}
		oldGen := last["generation"].(float64) - 1
		closed := -1
		deadline := time.Now().Add(30 * time.Second)
		for closed < 0 && time.Now().Before(deadline) {
			for i, rec := range srv.records() {
				if strings.HasPrefix(rec.msg(), msgDrained) && rec["generation"] == oldGen {
					closed = i
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		heldAt := srv.requestRecord(heldID)
		if heldID == "" || heldAt < 0 || closed < 0 {
			t.Fatalf("held request %q logged at %d, generation %v closed at %d:\n%s", heldID, heldAt, oldGen, closed, srv.stderr.String())
		}
		if closed < heldAt || !strings.HasPrefix(srv.records()[closed].msg(), msgDrained+": its requests have finished") {
			t.Errorf("generation %v was closed (record %d: %v) before its request in flight finished (record %d)", oldGen, closed, srv.records()[closed], heldAt)
		}
		settle(t)
		check(t, 2)
	})
	t.Run("4 A retired", func(t *testing.T) {
		reloadTo(t, 3, bFiles)
		settle(t)
		check(t, 3)
	})
	t.Run("bad configurations are refused, B keeps signing", func(t *testing.T) {
		good, err := os.ReadFile(fx.cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(fx.cfgPath, good, 0o600)
		for _, tc := range []struct {
			name  string
			edit  func()
			wants []string // in the refusal's records
		}{
			{"a key that does not belong to its certificate", func() {
				setSigning(t, fx.cfgPath, [][2]string{{aFiles[0], bFiles[1]}})
			}, []string{`"path":"signing.keys[0]"`, "does not belong to the certificate"}},
			{"a missing key file", func() {
				setSigning(t, fx.cfgPath, [][2]string{{bFiles[0], filepath.Join(fx.dir, "nowhere.key")}})
			}, []string{`"path":"signing.keys[0].key_file"`, "nowhere.key"}},
			{"broken YAML", func() {
				os.WriteFile(fx.cfgPath, append(bytes.Clone(good), "signing: [\n"...), 0o600)
			}, []string{"claimgate.yaml"}},
			{"server.listen changed", func() {
				os.WriteFile(fx.cfgPath, bytes.Replace(good, []byte("listen: "+fx.addr), []byte("listen: 127.0.0.1:1"), 1), 0o600)
			}, []string{`"path":"server.listen"`, "restart"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tc.edit()
				from := len(srv.records())
				recs, ok := srv.reload(t, hup)
				if ok {
					t.Fatalf("reload accepted")
				}
				text := strings.Join(strings.Split(srv.stderr.String(), "\n")[from:], "\n")
				for _, w := range tc.wants {
					if !strings.Contains(text, w) {
						t.Errorf("refusal does not say %q:\n%s", w, text)
					}
				}
				if last := recs[len(recs)-1]; last.str("signing") != certs.ThumbprintSHA1(b) {
					t.Errorf("refusal record: %v", last)
				}
				check(t, 3)
			})
		}
		// The file fixed, the next reload goes through.
		os.WriteFile(fx.cfgPath, good, 0o600)
		phases = append(phases, phases[3]) // a new stable phase with the same keys
		phase.Store(7)
		if _, ok := srv.reload(t, hup); !ok {
			t.Fatalf("reload of the good file refused:\n%s", srv.stderr.String())
		}
		phase.Store(8)
		settle(t)
		check(t, 4)
	})

	stopWorkers()
	mu.Lock()
	defer mu.Unlock()
	counts := map[bool]int{}
	var failures []string
	for _, o := range obs {
		counts[o.metadata]++
		if o.err != nil {
			failures = append(failures, fmt.Sprintf("phase %d→%d: %v", o.start, o.end, o.err))
			continue
		}
		if o.start != o.end || o.start%2 != 0 {
			continue // straddled a reload: either key is right
		}
		ph := phases[o.start/2]
		if !bytes.Equal(o.signer.Raw, ph.signer.Raw) {
			failures = append(failures, fmt.Sprintf("phase %q: signed by %s, want %s", ph.name, o.signer.Subject.CommonName, ph.signer.Subject.CommonName))
		}
		if o.metadata && !sameCerts(o.published, ph.published...) {
			failures = append(failures, fmt.Sprintf("phase %q: metadata publishes %s, want %s", ph.name, names(o.published), names(ph.published)))
		}
	}
	t.Logf("%d sign-ins and %d metadata fetches during the rollover", counts[false], counts[true])
	if len(failures) > 0 {
		t.Errorf("%d of %d requests failed or saw the wrong keys:\n%s", len(failures), len(obs), strings.Join(failures, "\n"))
	}
	if strings.Contains(srv.stderr.String(), "with requests still running") {
		t.Error("a reload closed a configuration with requests still running")
	}
}
