package login

import (
	"context"
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
// Lock returns the key's release, or an error (busy for too long, the
// store down) and then holds nothing.
type Locker interface {
	Lock(ctx context.Context, key string) (release func(), err error)
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

// Lock takes the key's lock and returns its release. Entries live only
// while someone holds or waits for them, so the map stays small.
func (k *keyedMutex) Lock(_ context.Context, key string) (func(), error) {
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
	return func() {
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

// lock takes one key's lock for r. When it cannot, it answers "try again
// later" (the lock's trouble is the store's, or another instance's, and
// nothing was checked, counted or issued) and returns false.
func (f *Flow) lock(w http.ResponseWriter, r *http.Request, key string) (func(), bool) {
	// Not r.Context(): a client that goes away must not skip the check
	// it started (see ctx); the Locker bounds its own wait.
	release, err := f.locks.Lock(ctx(r), key)
	if err != nil {
		f.tryLater(w, r, "sign-in lock unavailable", err)
		return nil, false
	}
	return release, true
}

// serialize takes, in a fixed order (this browser's session, then the
// user), the locks of one credential check. Every handler takes them in
// this order, on every instance, so they cannot deadlock. It has answered
// when ok is false; otherwise the caller defers release.
func (f *Flow) serialize(w http.ResponseWriter, r *http.Request, user string) (release func(), ok bool) {
	releaseSession := func() {}
	if c, err := r.Cookie(f.sessions.cookie); err == nil && c.Value != "" {
		if releaseSession, ok = f.lock(w, r, sessionLockKey(c.Value)); !ok {
			return nil, false
		}
	}
	if user == "" {
		return releaseSession, true
	}
	releaseUser, ok := f.lock(w, r, userLockKey(user))
	if !ok {
		releaseSession()
		return nil, false
	}
	return func() { releaseUser(); releaseSession() }, true
}

// secondStep starts a POST of the second step (code, method choice, resend,
// enrolment): the form read, the session's and the user's locks held, the
// session at stage first. It has answered when ok is false; otherwise the
// caller defers release.
func (f *Flow) secondStep(w http.ResponseWriter, r *http.Request, what string) (s *session, release func(), ok bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		f.formError(w, r, "unparsable "+what+" form", err)
		return nil, nil, false
	}
	releaseSession, ok := f.serialize(w, r, "")
	if !ok {
		return nil, nil, false
	}
	if s, ok = f.firstDone(w, r); !ok {
		releaseSession()
		return nil, nil, false
	}
	releaseUser, ok := f.lock(w, r, userLockKey(s.Identity.Username))
	if !ok {
		releaseSession()
		return nil, nil, false
	}
	return s, func() { releaseUser(); releaseSession() }, true
}
