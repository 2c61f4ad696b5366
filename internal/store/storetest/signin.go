package storetest

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/store"
)

// SignIn is the store work of one whole sign-in (WS-Fed request, password
// POST, code page, code POST with a TOTP code from a factor in the store,
// token), call for call as the login flow, the lockout policy and the
// lease Locker make it with their defaults (recorded from a sign-in
// through internal/app), without the directory, the hashing or the
// signature: what the store's benchmarks time. Split makes the calls of
// before issue 12 (the factor's use and the used code as two commits)
// instead of UseFactorCode, SplitSuccess the success's (Unlock and SetLock)
// instead of RecordSuccess.
type SignIn struct {
	User     string // one per parallel worker: a user's sign-ins are serialised anyway
	FactorID string // the user's confirmed TOTP factor
	Addr     string
	Split    bool
	// SplitSuccess: the lockout policy's Succeed as it calls the store
	// until it uses RecordSuccess.
	SplitSuccess bool
}

// NewSignInUser adds a confirmed TOTP factor for user.
func NewSignInUser(ctx context.Context, s store.Store, user string) (SignIn, error) {
	f, err := s.AddFactor(ctx, store.Factor{User: user, Kind: store.KindTOTP, Name: "app", Secret: []byte("12345678901234567890"),
		Algorithm: "SHA1", Digits: 6, Period: 30 * time.Second, Confirmed: true, LastStep: -1})
	return SignIn{User: user, FactorID: f.ID, Addr: "192.0.2.1"}, err
}

// Run does one sign-in's store calls; i makes its session ids unique.
func (si SignIn) Run(ctx context.Context, s store.Store, now time.Time, i int) error {
	sid := func(n int) string { return fmt.Sprintf("%s-%d-%d", si.User, i, n) }
	owner := func(n int) string { return fmt.Sprintf("o-%s-%d-%d", si.User, i, n) }
	data := make([]byte, 600) // a session record's size, about
	exp := now.Add(8 * time.Hour)
	pair, addr, user, known := "pair:"+si.User+"|"+si.Addr, "addr:"+si.Addr, "user:"+si.User, "known:"+si.User+"|"+si.Addr
	counters := []store.AttemptCounter{{Key: pair, LockKey: pair, Limit: 10}, {Key: addr, LockKey: addr, Limit: 1 << 30},
		{Key: "unfamiliar:" + si.User, LockKey: user, Limit: 10}}
	keys := []string{pair, addr, "unfamiliar:" + si.User}
	locks := func() error {
		for _, k := range []string{known, pair, addr, user} {
			if _, _, err := s.Lock(ctx, k); err != nil {
				return err
			}
		}
		return nil
	}
	get := func(id string) error {
		_, _, ok, err := s.GetSession(ctx, id, now)
		if err == nil && !ok {
			err = fmt.Errorf("session %s not found", id)
		}
		return err
	}
	lease := func(k, o string) error {
		ok, err := s.TakeLease(ctx, k, o, now, 30*time.Second)
		if err == nil && !ok {
			err = fmt.Errorf("lease %s busy", k)
		}
		return err
	}
	event := func(e audit.Event) error {
		return s.AppendAudit(ctx, audit.Record{Time: now, Event: e, Outcome: audit.OutcomeSuccess, User: si.User, ClientAddr: si.Addr})
	}
	steps := []func() error{
		// The protocol request: a new session.
		func() error { return s.CreateSession(ctx, sid(1), data, exp) },
		func() error { return get(sid(1)) },
		// Password POST.
		func() error { return get(sid(1)) },
		locks,
		func() error { _, _, err := s.TakeAttempts(ctx, counters, now, 15*time.Minute); return err },
		func() error { return lease("session\x00"+sid(1), owner(1)) },
		func() error { return lease("user\x00"+si.User, owner(2)) },
		func() error { return get(sid(1)) },
		func() error { return s.ReturnAttempts(ctx, keys, now) },
		func() error { return s.RotateSession(ctx, sid(1), 1, sid(2), data, exp) },
		func() error { return event(audit.EventFirstFactorOK) },
		func() error { return s.ReleaseLease(ctx, "user\x00"+si.User, owner(2)) },
		func() error { return s.ReleaseLease(ctx, "session\x00"+sid(1), owner(1)) },
		// The code page: the method chosen.
		func() error { return get(sid(2)) },
		func() error { _, err := s.Factors(ctx, si.User); return err },
		func() error { return s.UpdateSession(ctx, sid(2), 1, data, exp) },
		// Code POST.
		func() error { return lease("session\x00"+sid(2), owner(3)) },
		func() error { return get(sid(2)) },
		func() error { return lease("user\x00"+si.User, owner(4)) },
		func() error { _, err := s.Factors(ctx, si.User); return err },
		locks,
		func() error { _, _, err := s.TakeAttempts(ctx, counters, now, 15*time.Minute); return err },
		func() error { return si.useCode(ctx, s, now) },
		func() error { return s.ReturnAttempts(ctx, keys, now) },
		func() error { return s.RotateSession(ctx, sid(2), 2, sid(3), data, exp) },
		func() error { return event(audit.EventSecondFactorOK) },
		// The sign-in finished: the pair forgotten, the address familiar.
		func() error {
			if !si.SplitSuccess {
				return s.RecordSuccess(ctx, pair, known, now.Add(30*24*time.Hour))
			}
			if err := s.Unlock(ctx, pair); err != nil {
				return err
			}
			return s.SetLock(ctx, known, now.Add(30*24*time.Hour), 0)
		},
		// The token issued.
		func() error { return s.UpdateSession(ctx, sid(3), 1, data, exp) },
		func() error { return event(audit.EventTokenIssued) },
		func() error { return s.ReleaseLease(ctx, "user\x00"+si.User, owner(4)) },
		func() error { return s.ReleaseLease(ctx, "session\x00"+sid(2), owner(3)) },
	}
	for n, st := range steps {
		if err := st(); err != nil {
			return fmt.Errorf("sign-in %d step %d: %w", i, n, err)
		}
	}
	return nil
}

// useCode is Verify's store work for a TOTP code of the next step.
func (si SignIn) useCode(ctx context.Context, s store.Store, now time.Time) error {
	f, err := s.Factor(ctx, si.FactorID)
	if err != nil {
		return err
	}
	prev, next := store.FactorUse{LastStep: f.LastStep}, store.FactorUse{LastStep: f.LastStep + 1}
	fp := "totp:" + strconv.FormatInt(next.LastStep, 10)
	if si.Split {
		if err := s.UpdateFactorUse(ctx, f.ID, prev, next, now); err != nil {
			return err
		}
		_, err := s.UseCode(ctx, si.User, f.ID, fp, now.Add(2*time.Minute))
		return err
	}
	ok, err := s.UseFactorCode(ctx, store.CodeUse{FactorID: f.ID, User: si.User, Prev: prev, Next: next, When: now,
		Fingerprint: fp, Expires: now.Add(2 * time.Minute)})
	if err == nil && !ok {
		err = fmt.Errorf("code %s refused", fp)
	}
	return err
}

// RunSignIns runs b.N sign-ins on s, by one worker per user at once.
func RunSignIns(b *testing.B, s store.Store, users []SignIn, now time.Time) {
	var seq atomic.Int64
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := seq.Add(1)
				if i > int64(b.N) {
					return
				}
				if err := u.Run(context.Background(), s, now, int(i)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// SignInMode is one column of BenchSignIns: "before" is the store before
// issue 12 (every commit flushed, the factor's use and the used code two
// commits, the success's Unlock and SetLock two durable commits), "code"
// per-write durability and UseFactorCode with the success as the lockout
// policy still wrote it, "after" with RecordSuccess too.
type SignInMode struct {
	Name string
	// SyncAll: the driver makes every commit wait for the disk.
	SyncAll             bool
	Split, SplitSuccess bool
	// Serve: the store is opened as the one process signing users in
	// opens it (SQLite: Options.Serve, which keeps leases and attempts in
	// memory and caches sessions); a mode a driver adds for itself.
	Serve bool
}

// BenchStore is a store opened for BenchSignIns: Commits reports the
// commits that wrote so far, all and those that waited for the disk.
type BenchStore struct {
	store.Store
	FlushAudit func(ctx context.Context) error
	Commits    func() (all, flushed int64)
}

// BenchSignIns is BenchmarkSignInStore of a driver: one whole sign-in's
// store work per op, by 1 and 32 workers (each its own user), in each
// SignInMode, on a store open makes for the mode. It reports commits/op,
// flushed/op (each an fsync, which bounds the rate on a real disk) and
// signins/s. more are modes of the driver's own, run after the common ones.
func BenchSignIns(b *testing.B, open func(b *testing.B, m SignInMode) BenchStore, now func() time.Time, more ...SignInMode) {
	for _, mode := range append([]SignInMode{
		{Name: "before", SyncAll: true, Split: true, SplitSuccess: true},
		{Name: "code", SplitSuccess: true},
		{Name: "after"},
	}, more...) {
		for _, workers := range []int{1, 32} {
			b.Run(fmt.Sprintf("%s/workers=%d", mode.Name, workers), func(b *testing.B) {
				ctx := context.Background()
				s := open(b, mode)
				users := make([]SignIn, workers)
				for i := range users {
					var err error
					if users[i], err = NewSignInUser(ctx, s, fmt.Sprintf("user%02d", i)); err != nil {
						b.Fatal(err)
					}
					users[i].Split, users[i].SplitSuccess = mode.Split, mode.SplitSuccess
				}
				all0, flushed0 := s.Commits()
				b.ResetTimer()
				RunSignIns(b, s, users, now())
				if err := s.FlushAudit(ctx); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				all, flushed := s.Commits()
				b.ReportMetric(float64(all-all0)/float64(b.N), "commits/op")
				b.ReportMetric(float64(flushed-flushed0)/float64(b.N), "flushed/op")
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signins/s")
			})
		}
	}
}
