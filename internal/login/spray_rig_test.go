package login_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/factors"
	"github.com/claimgate/claimgate/internal/lockout"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/login/wsfedflow"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/server"
	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/sqlitestore"
	"github.com/claimgate/claimgate/internal/userfile"
	"github.com/claimgate/claimgate/sts"
	"github.com/claimgate/claimgate/sts/wsfed"
	"github.com/claimgate/claimgate/templates"
)

// The spray rig is claimgate's HTTP face as app.Build wires it for a
// spray: a throttle that brings a SprayGuard and says whether an address
// is familiar, app passwords under an argon2id Limiter, and around them
// counters of everything an attempt may cost (directory calls, argon2id
// derivations, store writes) and recorders of what was slept instead.
// The clocks of the guard and of the Limiter are fake and move a fixed
// step per reading, so every real check "takes" a known time and a paced
// answer can be checked to have slept one of those, without a wall clock.

// headerClient sets the client address of a rig request (as a trusted
// proxy's X-Forwarded-For would); without it the address is the peer's.
const headerClient = "X-Test-Client"

// Each reading of the guard's clock is guardStep after the last, so a
// real rejected check (two readings) measures guardStep; the Limiter's
// clock moves limStep, and a Run reads it four times: 3×limStep.
const (
	guardStep = 10 * time.Millisecond
	limStep   = 3 * time.Millisecond
)

type rig struct {
	*env
	g       *login.SprayGuard
	lim     *mfa.Limiter
	dir     *countingDir
	writes  *writeCounter
	guardZz *recorder // what refused attempts slept
	appZz   *recorder // what the Limiter slept instead of deriving
}

// rigSetup varies a rig.
type rigSetup struct {
	checks, queue int
	wait          time.Duration
	after         func(time.Duration) <-chan time.Time
	policy        *lockout.Policy
	// prepare runs before busyRig takes the budget.
	prepare func(*rig)
	// guardNow replaces the guard's step clock.
	guardNow func() time.Time
}

// recorder keeps the durations slept (and sleeps none of them).
type recorder struct {
	mu sync.Mutex
	d  []time.Duration
}

func (r *recorder) sleep(d time.Duration) {
	r.mu.Lock()
	r.d = append(r.d, d)
	r.mu.Unlock()
}

func (r *recorder) take() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := r.d
	r.d = nil
	return d
}

// stepClock reads step later on each call.
func stepClock(step time.Duration) func() time.Time {
	var mu sync.Mutex
	t := time.Unix(1<<30, 0)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(step)
		return t
	}
}

// countingDir counts the directory calls, per user, and can hold one
// user's Authenticate until released (to keep a check in flight).
type countingDir struct {
	login.Directory
	mu      sync.Mutex
	auth    map[string]int
	lookups int
	decoys  int
	holdFor string
	held    chan struct{} // receives when a held Authenticate has started
	release chan struct{}
	// onAuth, when set, runs at each Authenticate (tests move a clock).
	onAuth func(user string)
}

func (d *countingDir) Authenticate(ctx context.Context, u, p string) (claims.Identity, error) {
	d.mu.Lock()
	d.auth[login.ThrottleKey(u)]++
	hold := d.holdFor != "" && login.ThrottleKey(u) == d.holdFor
	onAuth := d.onAuth
	d.mu.Unlock()
	if onAuth != nil {
		onAuth(u)
	}
	if hold {
		d.held <- struct{}{}
		<-d.release
	}
	return d.Directory.Authenticate(ctx, u, p)
}

func (d *countingDir) Lookup(ctx context.Context, u string) (claims.Identity, error) {
	d.mu.Lock()
	d.lookups++
	d.mu.Unlock()
	return d.Directory.Lookup(ctx, u)
}

func (d *countingDir) SpendCheck(ctx context.Context, u, p string) {
	d.mu.Lock()
	d.decoys++
	d.mu.Unlock()
	d.Directory.(login.Decoy).SpendCheck(ctx, u, p)
}

// checks counts the password checks (Authenticate) and decoys so far.
func (d *countingDir) checks() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := d.decoys
	for _, v := range d.auth {
		n += v
	}
	return n
}

// calls is every directory call so far; authOf one user's Authenticates.
func (d *countingDir) calls() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := d.lookups + d.decoys
	for _, v := range d.auth {
		n += v
	}
	return n
}

func (d *countingDir) authOf(u string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.auth[u]
}

// hold makes user's next Authenticates wait for release.
func (d *countingDir) hold(user string) {
	d.mu.Lock()
	d.holdFor, d.held, d.release = user, make(chan struct{}), make(chan struct{})
	d.mu.Unlock()
}

// writeCounter counts the store writes of the throttle, the sessions and
// the app passwords (each is a commit, and most are flushed).
type writeCounter struct {
	mu sync.Mutex
	n  int
}

func (w *writeCounter) add() {
	w.mu.Lock()
	w.n++
	w.mu.Unlock()
}

func (w *writeCounter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

type countedCounters struct {
	*sqlitestore.DB
	w *writeCounter
}

func (c countedCounters) RecordFailure(ctx context.Context, key string, now time.Time, window time.Duration) (int, error) {
	c.w.add()
	return c.DB.RecordFailure(ctx, key, now, window)
}

func (c countedCounters) TakeAttempts(ctx context.Context, cs []store.AttemptCounter, now time.Time, window time.Duration) ([]int, int, error) {
	c.w.add()
	return c.DB.TakeAttempts(ctx, cs, now, window)
}

func (c countedCounters) ReturnAttempts(ctx context.Context, keys []string, at time.Time) error {
	c.w.add()
	return c.DB.ReturnAttempts(ctx, keys, at)
}

func (c countedCounters) ResetFailures(ctx context.Context, key string) error {
	c.w.add()
	return c.DB.ResetFailures(ctx, key)
}

func (c countedCounters) SetLock(ctx context.Context, key string, until time.Time, level int) error {
	c.w.add()
	return c.DB.SetLock(ctx, key, until, level)
}

func (c countedCounters) Unlock(ctx context.Context, key string) error {
	c.w.add()
	return c.DB.Unlock(ctx, key)
}

func (c countedCounters) RecordSuccess(ctx context.Context, forget, mark string, markUntil time.Time) error {
	c.w.add()
	return c.DB.RecordSuccess(ctx, forget, mark, markUntil)
}

func (c countedCounters) UnlockPrefix(ctx context.Context, prefix string) (int64, error) {
	c.w.add()
	return c.DB.UnlockPrefix(ctx, prefix)
}

func (c countedCounters) CreateSession(ctx context.Context, id string, data []byte, expires time.Time) error {
	c.w.add()
	return c.DB.CreateSession(ctx, id, data, expires)
}

func (c countedCounters) UpdateSession(ctx context.Context, id string, version int64, data []byte, expires time.Time) error {
	c.w.add()
	return c.DB.UpdateSession(ctx, id, version, data, expires)
}

func (c countedCounters) RotateSession(ctx context.Context, oldID string, version int64, newID string, data []byte, expires time.Time) error {
	c.w.add()
	return c.DB.RotateSession(ctx, oldID, version, newID, data, expires)
}

func (c countedCounters) DeleteSession(ctx context.Context, id string) error {
	c.w.add()
	return c.DB.DeleteSession(ctx, id)
}

func (c countedCounters) TouchAppPassword(ctx context.Context, id string, when time.Time) error {
	c.w.add()
	return c.DB.TouchAppPassword(ctx, id, when)
}

func (c countedCounters) RehashAppPassword(ctx context.Context, id, hash string) error {
	c.w.add()
	return c.DB.RehashAppPassword(ctx, id, hash)
}

// guardedThrottle is the lockout policy as app.Build fits it: it brings
// the SprayGuard and says whether a reservation's address is familiar.
type guardedThrottle struct {
	l *lockout.Limiter
	g *login.SprayGuard
}

func (t *guardedThrottle) SprayGuard() *login.SprayGuard { return t.g }

func (t *guardedThrottle) Familiar(ctx context.Context, user, a string, now time.Time) (bool, error) {
	return t.l.Familiar(ctx, user, addr(a), now)
}

func (t *guardedThrottle) Reserve(ctx context.Context, user, a string, cr login.Credential, now time.Time) (login.Reservation, bool, error) {
	kind := lockout.KindPassword
	if cr == login.CredentialCode {
		kind = lockout.KindCode
	}
	r, d, err := t.l.Reserve(ctx, user, addr(a), kind, now)
	if err != nil || !d.Allowed {
		return nil, false, err
	}
	return &guardedReservation{l: t.l, r: r}, true, nil
}

func (t *guardedThrottle) Success(ctx context.Context, user, a string, now time.Time) error {
	return t.l.Succeed(ctx, user, addr(a), now)
}

type guardedReservation struct {
	l *lockout.Limiter
	r *lockout.Reservation
}

func (r *guardedReservation) Fail(ctx context.Context) error {
	_, err := r.l.Fail(ctx, r.r)
	return err
}

func (r *guardedReservation) Pass(ctx context.Context) error { return r.l.Pass(ctx, r.r) }

// newRig builds a rig: the users of newEnv, a fresh store, the guard.
func newRig(t testing.TB, rs rigSetup) *rig {
	t.Helper()
	key, err := signingKey()
	if err != nil {
		t.Fatal(err)
	}
	hash, err := passwordHash()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, clk: &clock{t: t0}, key: key, audit: &syncBuffer{}, log: &syncBuffer{}}
	ctx := context.Background()
	e.db, err = sqlitestore.Open(ctx, filepath.Join(t.TempDir(), sqlitestore.FileName), sqlitestore.Options{Now: e.clk.Now, Key: testStoreKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.db.Close() })
	users, err := userfile.New(&userfile.File{Domain: "EXAMPLE", Users: []userfile.User{
		{Username: "alice", UPN: "alice@example.test", SID: aliceSID, PasswordHash: hash, TOTPSecret: aliceTOTP},
		{Username: "bob", UPN: "bob@example.test", SID: bobSID, PasswordHash: hash},
		{Username: "asmith", UPN: "alice.smith@example.test", SID: "S-1-5-21-1004336348-1177238915-682003330-1107", PasswordHash: hash},
	}})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{env: e, dir: &countingDir{Directory: users, auth: map[string]int{}}, writes: &writeCounter{},
		guardZz: &recorder{}, appZz: &recorder{}}
	counted := countedCounters{DB: e.db, w: r.writes}
	verifier, err := factors.NewVerifier(factors.Options{Store: e.db, File: users})
	if err != nil {
		t.Fatal(err)
	}
	policy := lockout.DefaultPolicy()
	if rs.policy != nil {
		policy = *rs.policy
	}
	lim, err := lockout.New(counted, policy)
	if err != nil {
		t.Fatal(err)
	}
	e.throttle = &countingThrottle{l: lim}
	guardNow := rs.guardNow
	if guardNow == nil {
		guardNow = stepClock(guardStep)
	}
	r.g = login.NewSprayGuard(login.SprayOptions{Checks: rs.checks, Queue: rs.queue, Wait: rs.wait, After: rs.after,
		Now: guardNow, Pacer: mfa.PacerOptions{Sleep: r.guardZz.sleep}})
	r.lim = mfa.NewLimiter(2, mfa.WithClock(stepClock(limStep), r.appZz.sleep))
	issuer, err := sts.NewIssuer(sts.IssuerConfig{EntityID: entityID, Signer: key.Key, Certificate: key.Certificate, Now: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := templates.New(templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ws, err := wsfedflow.New(wsfedflow.Options{Parties: wsfed.PartyList{
		{Identifier: realm, ReplyURL: replyURL}, {Identifier: realm2, ReplyURL: reply2}, {Identifier: realm3, ReplyURL: reply3}},
		Issuer: issuer, Logger: logger, RequestID: server.RequestID})
	if err != nil {
		t.Fatal(err)
	}
	flow, err := login.New(login.Options{
		Protocols: []login.Protocol{ws}, Directory: r.dir, Sessions: counted, SecondFactor: verifier,
		Throttle: &guardedThrottle{l: lim, g: r.g}, AppPasswords: &factors.AppPasswords{Store: counted, Limiter: r.lim},
		Auditor: &factors.Auditor{Log: audit.New(audit.Options{Writer: e.audit, Now: e.clk.Now}), Logger: logger},
		Pages:   pages, Logger: logger, RequireSecondFactor: true,
		ClientAddr: func(req *http.Request) string {
			if a := req.Header.Get(headerClient); a != "" {
				return a
			}
			return server.ClientAddr(req)
		},
		RequestID: server.RequestID, Now: e.clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.h, err = server.New(server.Options{Flow: flow, Pages: pages, Metadata: func() []byte { return []byte("<EntityDescriptor/>") },
		ReplyURLs: []string{replyURL, reply2, reply3}, Logger: logger, Now: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(e.h)
	t.Cleanup(e.srv.Close)
	return r
}

// cost is what one attempt spent.
type cost struct {
	dir, dirChecks, derived, appPaced, refusedPaced, writes int
	slept                                                   []time.Duration // by refused attempts
	appSlept                                                []time.Duration // by the Limiter instead of deriving
}

func (r *rig) snapshot() cost {
	return cost{dir: r.dir.calls(), dirChecks: r.dir.checks(), derived: int(r.lim.Stats().Ran), appPaced: int(r.lim.PaceStats().Paced),
		refusedPaced: int(r.g.Stats().Refused.Paced), writes: r.writes.count()}
}

// attempt starts a sign-in in a fresh browser, then posts one password
// from client (an address, or "" for the peer's) and returns the answer
// and what the POST alone cost.
func (r *rig) attempt(client, user, pw string) (*page, cost) {
	r.t.Helper()
	b := r.browser()
	b.get(signInURL(realm, "spray")).wantRedirect(r.t, login.PathLogin)
	csrf := b.get(login.PathLogin).csrf(r.t)
	r.guardZz.take()
	r.appZz.take()
	before := r.snapshot()
	p := b.postFrom(client, user, pw, csrf)
	after := r.snapshot()
	return p, cost{dir: after.dir - before.dir, dirChecks: after.dirChecks - before.dirChecks, derived: after.derived - before.derived, appPaced: after.appPaced - before.appPaced,
		refusedPaced: after.refusedPaced - before.refusedPaced, writes: after.writes - before.writes,
		slept: r.guardZz.take(), appSlept: r.appZz.take()}
}

// postFrom posts the login form as if from client.
func (b *browser) postFrom(client, user, pw, csrf string) *page {
	b.e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.e.srv.URL+login.PathLogin, strings.NewReader(urlValues("csrf", csrf, "username", user, "password", pw).Encode()))
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if client != "" {
		req.Header.Set(headerClient, client)
	}
	return b.do(req)
}

// signInFrom runs alice's whole sign-in from client, which makes client
// familiar for her.
func (r *rig) signInFrom(client string) {
	r.t.Helper()
	b := r.browser()
	r.clk.Advance(2 * time.Minute)
	b.get(signInURL(realm, "familiar")).wantRedirect(r.t, login.PathLogin)
	csrf := b.get(login.PathLogin).csrf(r.t)
	b.postFrom(client, "alice", alicePassword, csrf).wantRedirect(r.t, login.PathCode)
	b.enterCode(r.code()).wantStatus(r.t, http.StatusOK)
}

// sprayAddr is the i-th address of a botnet (198.18.0.0/15).
func sprayAddr(i int) string {
	return netip.AddrFrom4([4]byte{198, 18 + byte(i>>16&1), byte(i >> 8), byte(i)}).String()
}

// giveRigAppPasswords stores n app passwords for user.
func (r *rig) giveAppPasswords(user string, n int) {
	r.t.Helper()
	for i := range n {
		h := mfa.ForUser(user).Hash(mfa.NormalizeAppPassword(fmt.Sprintf("abcd-efgh-jkmn-pq%02d", i)))
		if _, err := r.db.CreateAppPassword(context.Background(), store.AppPassword{User: user, Name: fmt.Sprint("app ", i), Hash: h}); err != nil {
			r.t.Fatal(err)
		}
	}
}
