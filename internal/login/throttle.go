package login

import (
	"net/http"
	"strings"
	"time"
)

// attempt is one credential check against the throttle: the key the
// failures are counted under and the client address.
type attempt struct {
	key, addr string
	now       time.Time
}

func (f *Flow) attempt(r *http.Request, username string, now time.Time) attempt {
	return attempt{key: ThrottleKey(username), addr: f.o.ClientAddr(r), now: now}
}

// allowed asks the throttle whether the check may run at all.
func (f *Flow) allowed(r *http.Request, a attempt) (bool, error) {
	if f.o.Throttle == nil {
		return true, nil
	}
	return f.o.Throttle.Allow(ctx(r), a.key, a.addr, a.now)
}

// failed counts a failed check; a store error is logged, not shown.
func (f *Flow) failed(r *http.Request, a attempt) {
	if f.o.Throttle == nil {
		return
	}
	if err := f.o.Throttle.Failure(ctx(r), a.key, a.addr, a.now); err != nil {
		f.o.Logger.Error("throttle: failure not recorded", "err", err, "request_id", f.o.RequestID(r))
	}
}

// succeeded clears what a successful sign-in clears.
func (f *Flow) succeeded(r *http.Request, a attempt) {
	if f.o.Throttle == nil {
		return
	}
	if err := f.o.Throttle.Success(ctx(r), a.key, a.addr, a.now); err != nil {
		f.o.Logger.Error("throttle: success not recorded", "err", err, "request_id", f.o.RequestID(r))
	}
}

// ThrottleKey reduces the forms of one login name (alice, EXAMPLE\alice,
// alice@example.com, ALICE) to one key, so an attacker cannot multiply the
// allowed failures by switching forms, and an administrator unlocks
// "alice" once. It assumes, as AD does by default, that the UPN prefix is
// the sAMAccountName; where it is not, the forms are throttled apart.
func ThrottleKey(username string) string {
	k := strings.ToLower(strings.TrimSpace(username))
	if i := strings.LastIndexByte(k, '\\'); i >= 0 {
		k = k[i+1:]
	}
	if i := strings.IndexByte(k, '@'); i > 0 {
		k = k[:i]
	}
	return k
}
