package login_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/sqlitestore"
)

var _ login.Locker = (*store.Locker)(nil)

// instances are claimgate instances on one database: an env each, on its
// own handle of one SQLite file (its own connection pool, as another
// process would have), with its own Locker over that handle (lockers
// builds it; nil: the flow's lock within its process). They share the
// second-factor counter v.
func instances(t *testing.T, n int, s setup, v *verifications, lockers func(i int, db *sqlitestore.DB) login.Locker) []*env {
	t.Helper()
	path := filepath.Join(t.TempDir(), sqlitestore.FileName)
	var envs []*env
	for i := range n {
		db, err := sqlitestore.Open(context.Background(), path, sqlitestore.Options{Key: testStoreKey})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		si := s
		si.db = db
		if lockers != nil {
			si.locker = lockers(i, db)
		}
		si.second = func(next login.SecondFactor) login.SecondFactor { return &countedVerifier{next, v, i} }
		envs = append(envs, newEnv(t, si))
	}
	return envs
}

func storeLockers(_ int, db *sqlitestore.DB) login.Locker {
	return store.NewLocker(db, store.LockerOptions{})
}

// verifications counts the code checks of all instances, in order, and can
// hold the checks of one instance until released.
type verifications struct {
	mu     sync.Mutex
	events []string // "start <instance>", "end <instance>"
	// holdAt, when entered is set, is the instance whose checks signal
	// entered and wait for release.
	holdAt  int
	entered chan struct{}
	release chan struct{}
}

func (v *verifications) record(e string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.events = append(v.events, e)
}

func (v *verifications) count() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return strings.Count(strings.Join(v.events, "\n"), "start")
}

func (v *verifications) log() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.events...)
}

// hold makes instance i's next checks wait, inside the flow's locks, until
// the returned release.
func (v *verifications) hold(i int) (entered <-chan struct{}, release func()) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.holdAt, v.entered, v.release = i, make(chan struct{}, 16), make(chan struct{})
	return v.entered, sync.OnceFunc(func() { close(v.release) })
}

type countedVerifier struct {
	login.SecondFactor
	v        *verifications
	instance int
}

func (c *countedVerifier) Verify(ctx context.Context, user claims.Identity, m login.Method, code string, now time.Time) (bool, error) {
	c.v.record("start " + string(rune('0'+c.instance)))
	c.v.mu.Lock()
	entered, release := c.v.entered, c.v.release
	held := entered != nil && c.v.holdAt == c.instance
	c.v.mu.Unlock()
	if held {
		entered <- struct{}{}
		<-release
	}
	ok, err := c.SecondFactor.Verify(ctx, user, m, code, now)
	c.v.record("end " + string(rune('0'+c.instance)))
	return ok, err
}

// atCode signs alice in with her password on the first instance and hands
// the session to a browser on each instance, all at the code page.
func atCode(t *testing.T, envs []*env) (bs []*browser, csrf string) {
	t.Helper()
	b := envs[0].browser()
	b.get(signInURL(realm, "x")).wantRedirect(t, login.PathLogin)
	b.password("alice", alicePassword).wantRedirect(t, login.PathCode)
	csrf = b.get(login.PathCode).csrf(t)
	bs = append(bs, b)
	for _, e := range envs[1:] {
		o := e.browser()
		o.setSessionCookie(b.sessionCookie())
		bs = append(bs, o)
	}
	return bs, csrf
}

// failed is the number of wrong credentials the instances counted.
func failed(envs []*env) int {
	n := 0
	for _, e := range envs {
		e.throttle.mu.Lock()
		n += e.throttle.fail
		e.throttle.mu.Unlock()
	}
	return n
}

// TestParallelCodesAcrossInstancesCountEach: eight wrong codes for one
// sign-in sent at once, half to each of two instances, are checked one
// after the other across both, so exactly MaxCodeAttempts of them are
// checked and counted, as on one instance; the rest find the sign-in over.
//
// With each instance's own in-process lock instead (lockers nil) the two
// instances check in parallel, each against a session the other is about
// to change: measured here over 20 runs (10 with -race), 4 or 5 of the 8
// codes were verified and counted against a limit of 3 (never more only
// because the lockout's atomic count stops the user at its 5), and two
// requests could both answer "too many wrong codes".
func TestParallelCodesAcrossInstancesCountEach(t *testing.T) {
	const maxCodes, n = 3, 8
	v := &verifications{}
	envs := instances(t, 2, setup{maxCodes: maxCodes}, v, storeLockers)
	bs, csrf := atCode(t, envs)
	statuses := make([]int, n)
	race(n, func(i int) {
		statuses[i] = bs[i%2].enterCodeRaw(csrf, envs[0].wrongCode()).status
	})
	if got := v.count(); got != maxCodes {
		t.Errorf("%d codes verified, want exactly %d (MaxCodeAttempts); statuses %v", got, maxCodes, statuses)
	}
	if got := failed(envs); got != maxCodes {
		t.Errorf("%d wrong codes counted, want exactly %d", got, maxCodes)
	}
	var wrong, ended, gone int
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			wrong++
		case http.StatusForbidden:
			ended++
		case http.StatusBadRequest:
			gone++
		default:
			t.Errorf("status %d among %v", s, statuses)
		}
	}
	if wrong != maxCodes-1 || ended != 1 || gone != n-maxCodes {
		t.Errorf("statuses %v: want %d wrong-code pages, one end of the sign-in, %d finding it over", statuses, maxCodes-1, n-maxCodes)
	}
	if p := bs[1].enterCodeRaw(csrf, envs[1].code()); strings.Contains(p.body, `name="wresult"`) {
		t.Fatal("the sign-in went on after its code attempts were used up")
	}
}

// race runs fn n times at once, from goroutines released together.
func race(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

// watchedLeases is a LeaseStore that reports each refused lease.
type watchedLeases struct {
	store.LeaseStore
	refused chan struct{}
}

func (w *watchedLeases) TakeLease(ctx context.Context, key, owner string, now time.Time, ttl time.Duration) (bool, error) {
	ok, err := w.LeaseStore.TakeLease(ctx, key, owner, now, ttl)
	if err == nil && !ok {
		select {
		case w.refused <- struct{}{}:
		default:
		}
	}
	return ok, err
}

// lockClock is a Locker's clock where every pause passes at once, except
// the renewal's, which lasts until the lock is released.
type lockClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *lockClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *lockClock) Sleep(ctx context.Context, d time.Duration) error {
	if d > time.Second {
		<-ctx.Done()
		return ctx.Err()
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return nil
}

// TestLockHeldByAnotherInstance: while one instance checks a code of a
// sign-in, a code for it posted to another instance waits for the first
// to finish (and is then checked against the session as the first left
// it), or, once its Locker's MaxWait has passed, answers "try again
// later" having checked and counted nothing.
func TestLockHeldByAnotherInstance(t *testing.T) {
	t.Run("WaitsThenProceeds", func(t *testing.T) {
		v := &verifications{}
		refused := make(chan struct{}, 1)
		envs := instances(t, 2, setup{}, v, func(i int, db *sqlitestore.DB) login.Locker {
			if i == 1 {
				return store.NewLocker(&watchedLeases{db, refused}, store.LockerOptions{})
			}
			return storeLockers(i, db)
		})
		bs, csrf := atCode(t, envs)
		entered, release := v.hold(0)
		defer release()
		first, second := make(chan *page), make(chan *page)
		go func() { first <- bs[0].enterCodeRaw(csrf, envs[0].wrongCode()) }()
		<-entered // instance 0 holds the sign-in's locks, checking its code
		go func() { second <- bs[1].enterCodeRaw(csrf, envs[1].wrongCode()) }()
		<-refused // instance 1 found them held and waits
		if got := v.count(); got != 1 {
			t.Fatalf("%d codes checked while the first check runs; want only that one", got)
		}
		release()
		p1, p2 := <-first, <-second
		for _, p := range []*page{p1, p2} {
			if p.status != http.StatusOK || !strings.Contains(p.body, `name="code"`) {
				t.Fatalf("a wrong code answered %d, want the code page again:\n%s", p.status, p.body)
			}
		}
		if got := strings.Join(v.log(), ", "); got != "start 0, end 0, start 1, end 1" {
			t.Errorf("checks ran as %s; want the second after the first", got)
		}
		if got := failed(envs); got != 2 {
			t.Errorf("%d wrong codes counted, want 2", got)
		}
		readAutoPost(t, bs[1].enterCodeRaw(csrf, envs[1].code()))
	})
	t.Run("GivesUpAfterMaxWait", func(t *testing.T) {
		v := &verifications{}
		envs := instances(t, 2, setup{}, v, func(i int, db *sqlitestore.DB) login.Locker {
			if i == 1 {
				c := &lockClock{now: time.Now()}
				return store.NewLocker(db, store.LockerOptions{MaxWait: time.Second, Now: c.Now, Sleep: c.Sleep})
			}
			return storeLockers(i, db)
		})
		bs, csrf := atCode(t, envs)
		entered, release := v.hold(0)
		defer release()
		first := make(chan *page)
		go func() { first <- bs[0].enterCodeRaw(csrf, envs[0].wrongCode()) }()
		<-entered
		before := envs[1].throttle.calls()
		p := bs[1].enterCodeRaw(csrf, envs[1].code())
		if p.status != http.StatusServiceUnavailable || p.res.Header.Get("Retry-After") == "" {
			t.Fatalf("a code while another instance holds the sign-in past MaxWait: %d (Retry-After %q), want 503 try again later",
				p.status, p.res.Header.Get("Retry-After"))
		}
		if strings.Contains(p.body, `name="wresult"`) || v.count() != 1 || envs[1].throttle.calls() != before {
			t.Fatalf("the refused request issued, checked or counted something: %d checks, throttle %d→%d",
				v.count(), before, envs[1].throttle.calls())
		}
		if !strings.Contains(envs[1].log.String(), "sign-in lock unavailable") {
			t.Errorf("no log line for the refused lock:\n%s", envs[1].log.String())
		}
		release()
		if p := <-first; p.status != http.StatusOK {
			t.Fatalf("the first instance's check: %d", p.status)
		}
		// The locks are free again: the same right code now signs in.
		readAutoPost(t, bs[1].enterCodeRaw(csrf, envs[1].code()))
	})
}

// brokenLocker is a Locker that fails while down is set, as a store
// Locker does when the store is unreachable.
type brokenLocker struct {
	next login.Locker
	down atomic.Bool
}

var errLockStore = errors.New("lease store unreachable: dial tcp 10.0.0.7:5432")

func (b *brokenLocker) Lock(ctx context.Context, key string) (context.Context, func(), error) {
	if b.down.Load() {
		return nil, nil, errLockStore
	}
	return b.next.Lock(ctx, key)
}

// TestLockUnavailableTriesAgainLater: when the lock cannot be had, a
// password or a code is answered with the "try again later" page, and
// nothing is checked, counted or issued; once the lock works the same
// sign-in goes on.
func TestLockUnavailableTriesAgainLater(t *testing.T) {
	v := &verifications{}
	var locker *brokenLocker
	envs := instances(t, 1, setup{}, v, func(_ int, db *sqlitestore.DB) login.Locker {
		locker = &brokenLocker{next: storeLockers(0, db)}
		return locker
	})
	e := envs[0]
	b := e.browser()
	b.get(signInURL(realm, "x")).wantRedirect(t, login.PathLogin)
	wantTryLater := func(p *page, step string) {
		t.Helper()
		if p.status != http.StatusServiceUnavailable || p.res.Header.Get("Retry-After") == "" {
			t.Fatalf("%s with the lock down: %d (Retry-After %q), want 503", step, p.status, p.res.Header.Get("Retry-After"))
		}
		if strings.Contains(p.body, `name="wresult"`) || strings.Contains(p.body, "10.0.0.7") {
			t.Fatalf("%s with the lock down: a token or internals in the page:\n%s", step, p.body)
		}
	}
	locker.down.Store(true)
	wantTryLater(b.password("alice", "wrong password"), "a password")
	// The throttle is asked before the lock (its count is atomic), and
	// the attempt is given back: nothing failed, nothing was checked.
	if n := failed(envs); n != 0 || strings.Contains(e.audit.String(), "first_factor") {
		t.Fatalf("a password was checked or counted without its lock: %d failures\n%s", n, e.audit.String())
	}
	if !strings.Contains(e.log.String(), "sign-in lock unavailable") || !strings.Contains(e.log.String(), "unreachable") {
		t.Errorf("the log does not say why:\n%s", e.log.String())
	}
	locker.down.Store(false)
	b.password("alice", alicePassword).wantRedirect(t, login.PathCode)
	csrf := b.get(login.PathCode).csrf(t)
	before := e.throttle.calls()
	locker.down.Store(true)
	wantTryLater(b.enterCodeRaw(csrf, e.code()), "a code")
	if v.count() != 0 || e.throttle.calls() != before {
		t.Fatalf("a code was checked or counted without its lock: %d checks, throttle %d→%d", v.count(), before, e.throttle.calls())
	}
	locker.down.Store(false)
	readAutoPost(t, b.enterCodeRaw(csrf, e.code()))
}
