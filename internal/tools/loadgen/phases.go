package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"time"
)

// run sets up a deployment, runs every phase and prints the report.
func run(ctx context.Context, o *options, out io.Writer, rnd io.Reader) (*report, error) {
	ad, err := readSambaEnv(o.ambient)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "claimgate-loadgen-")
	if err != nil {
		return nil, err
	}
	if o.keep {
		fmt.Fprintln(out, "directory:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	fmt.Fprintln(out, "setting up: build, directory users, token import")
	setup := time.Now()
	d, err := newDeployment(ctx, dir, o.src, o.signer, ad, rnd)
	if err != nil {
		return nil, err
	}
	users := make([]*vuser, o.pool)
	names := make([]string, 0, o.pool+o.sprayVictims)
	for i := range users {
		u := &vuser{name: fmt.Sprintf("load%04d", i+1), secret: make([]byte, 20)}
		if !o.sharedAddr {
			u.tr = newTransport(userAddr(i), 4)
		}
		if _, err := io.ReadFull(rnd, u.secret); err != nil {
			return nil, err
		}
		users[i] = u
		names = append(names, u.name)
	}
	victims := make([]string, o.sprayVictims)
	for i := range victims {
		victims[i] = fmt.Sprintf("spray%04d", i+1)
		names = append(names, victims[i])
	}
	if _, err := ad.ensureUsers(ctx, names); err != nil {
		return nil, err
	}
	if err := d.importTokens(ctx, users, o.otp); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "set up in %.1f s\n", time.Since(setup).Seconds())
	// Start to ready is a wall-clock time on a shared machine: it is
	// measured over startSamples starts and the median is the figure
	// (and the budget's), the last start being the one measured on.
	var starts []float64
	var srv *server
	for i := range startSamples {
		if srv, err = d.start(ctx); err != nil {
			return nil, err
		}
		starts = append(starts, ms(srv.toReady))
		if i < startSamples-1 {
			if err := srv.stop(); err != nil {
				return nil, fmt.Errorf("claimgate serve: clean stop: %w", err)
			}
		}
	}
	defer func() {
		if srv != nil {
			_ = srv.stop()
		}
	}()
	rep := &report{OTP: o.otp, Signer: o.signer, Budgets: o.budgets, Cores: runtime.NumCPU(), Pool: o.pool,
		StartToReadyMS: median(starts), StartsMS: starts}
	// Idle: ready, nothing asked yet but a second to settle.
	time.Sleep(time.Second)
	idle, err := memKB(srv.pid(), "VmRSS")
	if err != nil {
		return nil, err
	}
	rep.IdleRSSMB = mb(idle)
	dc, err := ad.samba()
	if err != nil {
		fmt.Fprintln(out, "warning: no DC CPU figures:", err)
	}
	pr := probe{cg: srv.pid(), dc: dc}
	p := newPool(o.otp, users)
	legit := &browser{base: d.base, transport: newTransport(legitAddr, 256), cert: d.cert}
	password := ad["CLAIMGATE_TEST_LDAP_USER_PASSWORD"]
	if o.otp == "hotp" {
		// Every user signs in once before anything is measured, as real
		// users have signed in before: the server has seen them at this
		// address and browser, its caches and connection pools are warm,
		// and no phase measures first-time work. (TOTP pools are too
		// large for it; their first sign-ins fall into the phases.)
		fmt.Fprintf(out, "warm-up: each of the %d users signs in once\n", len(users))
		if err := warmUp(ctx, legit, users, password, min(8, len(users))); err != nil {
			return nil, err
		}
	}

	for _, n := range o.users {
		fmt.Fprintf(out, "closed loop, %d users, %v: claimgate, then the directory alone\n", n, o.duration)
		var cr closedReport
		cr.Users = n
		cr.Claimgate = signInPhase(ctx, pr, p, legit, password, func(f op) sample { return closedLoop(ctx, n, o.duration, f) })
		cr.Directory, err = directoryPhase(ctx, pr, ad, users, password, n, o.duration)
		if err != nil {
			return nil, err
		}
		cr.ratios()
		rep.Closed = append(rep.Closed, cr)
	}
	if o.open && len(rep.Closed) > 0 {
		rate := o.rate
		if rate == 0 {
			rate = rep.Closed[len(rep.Closed)-1].Claimgate.PerSec / 2
		}
		if rate > 0 {
			fmt.Fprintf(out, "open loop, %.1f sign-ins/s, %v\n", rate, o.openDuration)
			ph := signInPhase(ctx, pr, p, legit, password, func(f op) sample { return openLoop(ctx, rate, o.openDuration, f) })
			ph.Offered = rate
			rep.Open = &ph
		}
	}
	if o.spray > 0 {
		_ = srv.stop()
		if srv, err = sprayRun(ctx, o, out, d, ad, pr, p, password, victims, rep); err != nil {
			return nil, err
		}
	}
	rep.UserWaits = p.waits
	rep.print(out)
	return rep, nil
}

// startSamples is how many times claimgate is started to measure start
// to ready (each start and clean stop costs well under a second).
const startSamples = 3

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// warmUpOne signs u in for the first time. A first sign-in from an
// address may be answered "busy, try again in a moment" by design (the
// admission of unfamiliar addresses: with -shared-addr every user is a
// first-timer at one address at once); like a person, the warm-up tries
// again after a moment, with the same code (the password step refused it
// before any code was used), up to warmUpTries times.
func warmUpOne(ctx context.Context, b *browser, u *vuser, password string) error {
	code, _ := u.nextCode("hotp", time.Now())
	for try := 1; ; try++ {
		_, err := b.signIn(u, password, code)
		var se *signInError
		if err == nil || !errors.As(err, &se) || !se.busy || try == warmUpTries {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(warmUpPause):
		}
	}
}

// How often and after how long the warm-up tries a busy first sign-in
// again.
const (
	warmUpTries = 50
	warmUpPause = 200 * time.Millisecond
)

// warmUp signs every user in once with workers in parallel; any failure
// ends the run (nothing could be measured).
func warmUp(ctx context.Context, b *browser, users []*vuser, password string, workers int) error {
	next := make(chan *vuser, len(users))
	for _, u := range users {
		next <- u
	}
	close(next)
	errs := make(chan error, workers)
	for range workers {
		go func() {
			for u := range next {
				if ctx.Err() != nil {
					errs <- ctx.Err()
					return
				}
				if err := warmUpOne(ctx, b, u, password); err != nil {
					errs <- fmt.Errorf("warm-up sign-in of %s: %w", u.name, err)
					return
				}
			}
			errs <- nil
		}()
	}
	var first error
	for range workers {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// signInPhase measures full sign-ins driven by loop and verifies every
// token after the clock stopped.
func signInPhase(ctx context.Context, pr probe, p *pool, b *browser, password string, loop func(op) sample) phaseReport {
	var mu sync.Mutex
	var tokens [][]byte
	var s sample
	u := pr.around(func() {
		s = loop(func(ctx context.Context) (time.Duration, error) {
			v, code, wait, err := p.take(ctx)
			if err != nil {
				return wait, err
			}
			defer p.give(v)
			wres, err := b.signIn(v, password, code)
			if err == nil {
				mu.Lock()
				tokens = append(tokens, wres)
				mu.Unlock()
			}
			return wait, err
		})
	})
	for _, t := range tokens {
		if err := b.verify(t); err != nil {
			s.fail(err)
		}
	}
	return newPhaseReport(s, u)
}

// directoryPhase does the same LDAP work as the sign-ins at the same
// concurrency, straight to the DC, one connection pair per worker.
func directoryPhase(ctx context.Context, pr probe, ad sambaEnv, users []*vuser, password string, n int, d time.Duration) (phaseReport, error) {
	workers := make(chan *ldapWorker, n)
	for i := 0; i < n; i++ {
		w, err := newLDAPWorker(ad)
		if err != nil {
			return phaseReport{}, err
		}
		defer w.close()
		workers <- w
	}
	var next int64
	var mu sync.Mutex
	var s sample
	u := pr.around(func() {
		s = closedLoop(ctx, n, d, func(context.Context) (time.Duration, error) {
			w := <-workers
			defer func() { workers <- w }()
			mu.Lock()
			name := users[next%int64(len(users))].name
			next++
			mu.Unlock()
			return 0, w.signIn(name, password)
		})
	})
	u.cgCPU, u.peakKB = 0, 0 // claimgate is idle here
	return newPhaseReport(s, u), nil
}

// sprayRun restarts claimgate behind the counting LDAP proxy and measures
// legitimate sign-ins alone, then while one address and then many
// addresses (X-Forwarded-For through the trusted proxy) spray wrong
// passwords over the victims as fast as they can.
func sprayRun(ctx context.Context, o *options, out io.Writer, d *deployment, ad sambaEnv, pr probe, p *pool,
	password string, victims []string, rep *report) (*server, error) {
	proxy, err := newLDAPProxy(d.dir, ad)
	if err != nil {
		return nil, err
	}
	defer proxy.close()
	if err := d.writeConfig(proxy.url(), proxy.caFile); err != nil {
		return nil, err
	}
	srv, err := d.start(ctx)
	if err != nil {
		return nil, err
	}
	pr.cg = srv.pid()
	rep.StartsMS = append(rep.StartsMS, ms(srv.toReady))
	rep.StartToReadyMS = median(rep.StartsMS)
	if err := ad.unlock(ctx, victims); err != nil {
		return srv, err
	}
	// Leave the shared DC as found: the victims unlocked.
	defer func() { _ = ad.unlock(context.WithoutCancel(ctx), victims) }()
	before, err := ad.badPwdCount(victims)
	if err != nil {
		return srv, err
	}
	legit := &browser{base: d.base, transport: newTransport(legitAddr, 256), cert: d.cert}
	// Many addresses: a fresh one per attempt from 198.18.0.0/15 (the
	// benchmarking range), as a botnet behind a CDN would arrive.
	rng := rand.New(rand.NewPCG(1, 2))
	var rmu sync.Mutex
	randomAddr := func() string {
		rmu.Lock()
		defer rmu.Unlock()
		return netip.AddrFrom4([4]byte{198, 18 + byte(rng.IntN(2)), byte(rng.IntN(256)), byte(1 + rng.IntN(254))}).String()
	}
	attackers := []struct {
		name  string
		b     *browser
		flood bool // sign-in requests never followed, not passwords
	}{
		{"none", nil, false},
		{"one address", &browser{base: d.base, transport: newTransport(attackerAddr, o.sprayWorkers)}, false},
		{"many addresses (X-Forwarded-For)", &browser{base: d.base, transport: newTransport(proxyAddr, o.sprayWorkers), xff: randomAddr}, false},
		{"sign-in requests (one address, 8 KiB wctx, never followed)", &browser{base: d.base, transport: newTransport(attackerAddr, o.sprayWorkers)}, true},
	}
	cum := map[string]int{}
	for _, a := range attackers {
		fmt.Fprintf(out, "spray: %s, %d legitimate users, %v\n", a.name, o.sprayLegit, o.spray)
		binds0, bad0 := proxy.snapshot()
		ops0 := proxy.opCounts()
		sr := sprayReport{Attack: a.name, Flood: a.flood}
		db0 := dbBytes(d.dir)
		var attack sample
		var wg sync.WaitGroup
		actx, cancel := context.WithCancel(ctx)
		if a.b != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var k int64
				var kmu sync.Mutex
				attack = closedLoop(actx, o.sprayWorkers, o.spray, func(context.Context) (time.Duration, error) {
					kmu.Lock()
					i := k
					k++
					kmu.Unlock()
					if a.flood {
						return 0, a.b.startFlood()
					}
					return 0, a.b.tryPassword(victims[i%int64(len(victims))], fmt.Sprintf("Spray-%d!", i))
				})
			}()
		}
		sr.Legit = signInPhase(ctx, pr, p, legit, password, func(f op) sample { return closedLoop(ctx, o.sprayLegit, o.spray, f) })
		cancel()
		wg.Wait()
		sr.DBGrowthMB = float64(dbBytes(d.dir)-db0) / (1 << 20)
		if a.b != nil {
			sr.Shed = attack.errs[kindShed]
			delete(attack.errs, kindShed)
			sr.Attempts = attack.ok()
			sr.AttemptsPerSec = float64(attack.ok()+sr.Shed) / attack.dur.Seconds()
			sr.AttackErrors = attack.errs
		} else if n := sr.Legit.SignIns; n > 0 {
			// No attack: all of claimgate's LDAP traffic is the sign-ins'.
			rep.LDAPPerSignIn = map[string]float64{}
			for op, c := range proxy.opCounts() {
				if d := c - ops0[op]; d > 0 {
					rep.LDAPPerSignIn[op] = float64(d) / float64(n)
				}
			}
		}
		binds1, bad1 := proxy.snapshot()
		for _, v := range victims {
			n := bad1[v] - bad0[v]
			cum[v] += n
			sr.BadBindsMax = max(sr.BadBindsMax, n)
			sr.BadBindsMean += float64(n) / float64(len(victims))
			sr.BindsAtDC += binds1[v] - binds0[v]
		}
		rep.Spray = append(rep.Spray, sr)
	}
	after, err := ad.badPwdCount(victims)
	if err != nil {
		return srv, err
	}
	for _, v := range victims {
		rep.BadBindsTotalMax = max(rep.BadBindsTotalMax, cum[v])
		rep.BadPwdCountDeltaMax = max(rep.BadPwdCountDeltaMax, after[v]-before[v])
	}
	return srv, nil
}

// dbBytes is the size of claimgate's SQLite database with its WAL, in the
// deployment's data directory: how much a phase made it store.
func dbBytes(dir string) int64 {
	var n int64
	for _, f := range []string{"claimgate.db", "claimgate.db-wal"} {
		if fi, err := os.Stat(filepath.Join(dir, "data", f)); err == nil {
			n += fi.Size()
		}
	}
	return n
}
