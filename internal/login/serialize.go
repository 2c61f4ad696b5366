package login

import (
	"net/http"
	"sync"
)

// keyedMutex serialises work per key (a session, a user name) within this
// process. Credential checks for one user run one at a time, so parallel
// guesses cannot all pass the throttle before the first failure is
// counted, and a session's attempt counter cannot lose updates.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*keyedEntry
}

type keyedEntry struct {
	mu   sync.Mutex
	refs int
}

// lock takes the key's lock and returns its release. Entries live only
// while someone holds or waits for them, so the map stays small.
func (k *keyedMutex) lock(key string) func() {
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
	}
}

// serialize takes, in a fixed order (this browser's session, then the
// user), the locks of one credential check. Every handler takes them in
// this order, so they cannot deadlock.
func (f *Flow) serialize(r *http.Request, user string) func() {
	var releases []func()
	if c, err := r.Cookie(f.sessions.cookie); err == nil && c.Value != "" {
		releases = append(releases, f.locks.lock("session\x00"+c.Value))
	}
	if user != "" {
		releases = append(releases, f.locks.lock("user\x00"+ThrottleKey(user)))
	}
	return func() {
		for i := len(releases) - 1; i >= 0; i-- {
			releases[i]()
		}
	}
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
	releaseSession := f.serialize(r, "")
	if s, ok = f.firstDone(w, r); !ok {
		releaseSession()
		return nil, nil, false
	}
	releaseUser := f.locks.lock("user\x00" + ThrottleKey(s.Identity.Username))
	return s, func() { releaseUser(); releaseSession() }, true
}
