package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/ldapsource"
)

// DefaultReadyInterval is how often the directory is probed for /readyz.
// A load balancer may poll as often as it likes: it reads the last result,
// so the domain controllers see one probe per interval per instance.
const DefaultReadyInterval = 5 * time.Second

// readyProbeTimeout bounds one directory probe (a hung domain controller
// costs its connect timeout, then the next one is tried).
const readyProbeTimeout = 30 * time.Second

// directoryProbe is what readiness needs of Active Directory: the reads
// every sign-in makes, as the service account (bind, base DN, user
// filter, attributes), through the pool with its failover.
type directoryProbe interface {
	CheckSearch(context.Context) ldapsource.SearchReport
}

var _ directoryProbe = (*ldapsource.Directory)(nil)

// signerProbeEvery is how often /readyz asks the signer to prove it
// can still sign (an HSM signature per probe); between probes the last
// answer is reused.
const signerProbeEvery = 30 * time.Second

// signerProber is a signer that can check itself (package pkcs11 signs
// a fixed digest): an HSM that lost its sessions or its login is not
// ready, though the certificate is valid.
type signerProber interface{ Probe() error }

// sessionReader is the store's cheapest read: a session lookup by id.
type sessionReader interface {
	GetSession(ctx context.Context, id string, now time.Time) ([]byte, int64, bool, error)
}

// readiness decides /readyz: the directory (probed in the background, the
// last result kept), the store (a cheap query per request) and the signing
// key (present, its certificate valid now). The users-file directory is
// always ready.
type readiness struct {
	dir   directoryProbe // nil for the users file
	store sessionReader
	keys  *certs.Set
	now   func() time.Time
	log   *slog.Logger
	every time.Duration

	mu   sync.Mutex
	last dirProbe

	// parties reports the relying parties and SPs configured from
	// metadata (registry.health): one that never had usable metadata
	// cannot be answered, so the instance is not ready (a restart would
	// not cure it either: /healthz stays 200).
	parties func() (bool, string)

	signer signerProber // nil when the signer cannot probe itself
	// probeMu serialises signer probes, so that concurrent /readyz
	// requests make one probe, and guards the result.
	probeMu   sync.Mutex
	probedAt  time.Time
	probeErr  error
	probeDone bool
}

// dirProbe is the outcome of one directory probe.
type dirProbe struct {
	done   bool // a probe has finished
	at     time.Time
	ok     bool
	detail string // what answered, or why not
}

// newReadiness watches a's directory, store and signing key.
func newReadiness(a *App, o Options) *readiness {
	r := &readiness{store: a.Store, keys: a.Keys, now: o.Now, log: o.Logger, every: o.ReadyInterval}
	if a.LDAP != nil {
		r.dir = a.LDAP
	}
	if p, ok := a.Signer.(signerProber); ok {
		r.signer = p
	}
	if r.every <= 0 {
		r.every = DefaultReadyInterval
	}
	return r
}

// start probes the directory now and then every interval until ctx ends.
func (r *readiness) start(ctx context.Context) {
	if r.dir == nil {
		return
	}
	go func() {
		t := time.NewTicker(r.every)
		defer t.Stop()
		for {
			r.probe(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// probe runs one directory check and logs a change of state: a warning
// when sign-in stops working, so an outage is in the log before the
// first user meets it, and a note when it works again.
func (r *readiness) probe(ctx context.Context) {
	pctx, cancel := context.WithTimeout(ctx, readyProbeTimeout)
	rep := r.dir.CheckSearch(pctx)
	cancel()
	if ctx.Err() != nil {
		return // shutting down: the result says nothing about AD
	}
	p := dirProbe{done: true, at: r.now(), ok: rep.OK()}
	if p.ok {
		p.detail = "ok, " + rep.Server + " answered the service account's searches"
	} else {
		p.detail = searchProblem(rep)
	}
	r.mu.Lock()
	prev := r.last
	r.mu.Unlock()
	// Logged before /readyz shows it, so the log explains every 503.
	switch {
	case !p.ok && (!prev.done || prev.ok || prev.detail != p.detail):
		r.log.Warn("directory not usable: sign-in fails and /readyz answers 503", "problem", p.detail)
	case p.ok && prev.done && !prev.ok:
		r.log.Info("directory usable again", "server", rep.Server)
	}
	r.mu.Lock()
	r.last = p
	r.mu.Unlock()
}

// searchProblem is the first reason a directory probe failed.
func searchProblem(rep ldapsource.SearchReport) string {
	if rep.Err != nil {
		return rep.Err.Error()
	}
	var out []string
	for _, f := range rep.Findings {
		if !f.Warning {
			out = append(out, f.Text)
		}
	}
	return strings.Join(out, "; ")
}

// check is the /readyz answer: ok, and one line per part.
func (r *readiness) check(ctx context.Context) (bool, string) {
	ok := true
	var lines []string
	add := func(part string, good bool, detail string) {
		ok = ok && good
		lines = append(lines, part+": "+detail)
	}
	now := r.now()
	if r.dir == nil {
		add("directory", true, "users file")
	} else {
		r.mu.Lock()
		p := r.last
		r.mu.Unlock()
		switch {
		case !p.done:
			add("directory", false, "not checked yet")
		default:
			add("directory", p.ok, fmt.Sprintf("%s (checked %s ago)", p.detail, now.Sub(p.at).Round(time.Second)))
		}
	}
	add(r.checkStore(ctx, now))
	add(r.checkKey(now))
	if r.parties != nil {
		good, detail := r.parties()
		ok = ok && good
		lines = append(lines, detail)
	}
	if r.signer != nil {
		add(r.checkSigner(now))
	}
	return ok, strings.Join(lines, "\n")
}

// checkStore reads a session that does not exist: it needs the database
// open and readable, and costs one indexed lookup.
func (r *readiness) checkStore(ctx context.Context, now time.Time) (string, bool, string) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, _, _, err := r.store.GetSession(ctx, "readiness probe", now); err != nil {
		return "store", false, err.Error()
	}
	return "store", true, "ok"
}

// checkKey: a token signed with an expired (or not yet valid) certificate
// is refused by AD FS, so the instance is not ready.
func (r *readiness) checkKey(now time.Time) (string, bool, string) {
	if r.keys == nil || r.keys.Signing.Key == nil || r.keys.Signing.Certificate == nil {
		return "signing key", false, "not loaded"
	}
	c := r.keys.Signing.Certificate
	switch {
	case now.After(c.NotAfter):
		return "signing key", false, "certificate " + c.Subject.CommonName + " expired on " + c.NotAfter.UTC().Format(time.RFC3339)
	case now.Before(c.NotBefore):
		return "signing key", false, "certificate " + c.Subject.CommonName + " is not valid before " + c.NotBefore.UTC().Format(time.RFC3339)
	}
	return "signing key", true, "ok, certificate valid until " + c.NotAfter.UTC().Format(time.DateOnly)
}

// checkSigner probes the signer at most every signerProbeEvery.
func (r *readiness) checkSigner(now time.Time) (string, bool, string) {
	r.probeMu.Lock()
	defer r.probeMu.Unlock()
	if !r.probeDone || now.Sub(r.probedAt) >= signerProbeEvery || now.Before(r.probedAt) {
		err := r.signer.Probe()
		if err != nil && (!r.probeDone || r.probeErr == nil) {
			r.log.Warn("signer cannot sign: tokens fail and /readyz answers 503", "problem", err.Error())
		} else if err == nil && r.probeDone && r.probeErr != nil {
			r.log.Info("signer signs again")
		}
		r.probedAt, r.probeErr, r.probeDone = now, err, true
	}
	if r.probeErr != nil {
		return "signer", false, r.probeErr.Error()
	}
	return "signer", true, fmt.Sprintf("ok, a test signature made (checked %s ago)", now.Sub(r.probedAt).Round(time.Second))
}
