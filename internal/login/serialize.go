package login

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
)

// Locker serialises work per key (a session, a user name). Credential
// checks for one user run one at a time, so parallel guesses cannot all
// pass the throttle before the first failure is counted, and a session's
// attempt counter cannot lose updates. With several instances on one
// store it must hold across all of them (store.Locker does, by leases in
// the store): a lock per process lets each instance run one check at a
// time in parallel with the others.
//
// Lock returns the key's lock held, or an error (busy for too long, the
// store down) and then holds nothing. held is a child of ctx that ends
// when the lock may be lost (store.Locker: its lease could not be renewed
// in time, or was taken); the holder checks it before it writes. A Lock
// under an earlier Lock's held context shares that Lock's deadline and
// ends with it, so the locks of one request wait at most one MaxWait in
// all and are lost together.
type Locker interface {
	Lock(ctx context.Context, key string) (held context.Context, release func(), err error)
}

// keyedMutex is the Locker of a single instance: a mutex per key, in this
// process. It never fails.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*keyedEntry
}

var _ Locker = (*keyedMutex)(nil)

type keyedEntry struct {
	mu   sync.Mutex
	refs int
}

// Lock takes the key's lock and returns its release; a lock in memory is
// never lost, so held is ctx. Entries live only while someone holds or
// waits for them, so the map stays small.
func (k *keyedMutex) Lock(ctx context.Context, key string) (context.Context, func(), error) {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyedEntry{}
	}
	e := k.m[key]
	if e == nil {
		e = &keyedEntry{}
		k.m[key] = e
	}
	e.refs++
	k.mu.Unlock()
	e.mu.Lock()
	return ctx, func() {
		e.mu.Unlock()
		k.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}, nil
}

// Lock keys. The session's carries the cookie value; a Locker that keeps
// keys anywhere but memory keeps only their hash (store.LeaseStore does).
func sessionLockKey(cookie string) string { return "session\x00" + cookie }
func userLockKey(user string) string      { return "user\x00" + ThrottleKey(user) }

// lock takes one key's lock for r, under parent (ctx(r), or the held
// context of the request's earlier lock, whose deadline it then shares).
// When it cannot, it answers "try again later" (the lock's trouble is the
// store's, or another instance's, and nothing was checked, counted or
// issued) and returns false.
func (f *Flow) lock(w http.ResponseWriter, r *http.Request, parent context.Context, key string) (context.Context, func(), bool) {
	// Not r.Context(): a client that goes away must not skip the check
	// it started (see ctx); the Locker bounds its own wait.
	held, release, err := f.locks.Lock(parent, key)
	if err != nil {
		f.tryLater(w, r, "sign-in lock unavailable", err)
		return nil, nil, false
	}
	return held, release, true
}

// serialize takes, in a fixed order (this browser's session, then the
// user), the locks of one credential check. Every handler takes them in
// this order, on every instance, so they cannot deadlock. It has answered
// when ok is false; otherwise the caller defers release, and checks held
// (see lost) before it writes.
func (f *Flow) serialize(w http.ResponseWriter, r *http.Request, user string) (held context.Context, release func(), ok bool) {
	held, releaseSession := ctx(r), func() {}
	if c, err := r.Cookie(f.sessions.cookie); err == nil && c.Value != "" {
		if held, releaseSession, ok = f.lock(w, r, held, sessionLockKey(c.Value)); !ok {
			return nil, nil, false
		}
	}
	if user == "" {
		return held, releaseSession, true
	}
	held, releaseUser, ok := f.lock(w, r, held, userLockKey(user))
	if !ok {
		releaseSession()
		return nil, nil, false
	}
	return held, func() { releaseUser(); releaseSession() }, true
}

// secondStep starts a POST of the second step (code, method choice, resend,
// enrolment): the form read, the session's and the user's locks held, the
// session at stage first. It has answered when ok is false; otherwise the
// caller defers release. The session's writes check the locks (s.held).
func (f *Flow) secondStep(w http.ResponseWriter, r *http.Request, what string) (s *session, release func(), ok bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		f.formError(w, r, "unparsable "+what+" form", err)
		return nil, nil, false
	}
	held, releaseSession, ok := f.serialize(w, r, "")
	if !ok {
		return nil, nil, false
	}
	defer func() {
		if !ok {
			releaseSession()
		}
	}()
	if s, ok = f.firstDone(w, r); !ok {
		return nil, nil, false
	}
	held, releaseUser, ok := f.lock(w, r, held, userLockKey(s.Identity.Username))
	if !ok {
		return nil, nil, false
	}
	s.held = held
	return s, func() { releaseUser(); releaseSession() }, true
}

// errLockLost: the request's lock may be another's now (its lease could
// not be renewed in time); what it guards must not be written.
var errLockLost = errors.New("login: sign-in lock lost")

// lost reports whether held (a lock's, or nil: none) has ended, as
// errLockLost with the cause, so the caller answers "try again later".
func lost(held context.Context) error {
	if held == nil || held.Err() == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", errLockLost, context.Cause(held))
}
