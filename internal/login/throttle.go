package login

import (
	"context"
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

// noReservation settles nothing (no throttle configured: tests only).
type noReservation struct{}

func (noReservation) Fail(context.Context) error { return nil }
func (noReservation) Pass(context.Context) error { return nil }

// reserve counts the attempt before its check. A store that cannot count
// returns an error, and the caller must answer "try again later" whatever
// the credential: a service that cannot count failures must not check
// credentials, or it would be an oracle without a lockout.
func (f *Flow) reserve(r *http.Request, a attempt, c Credential) (Reservation, bool, error) {
	if f.o.Throttle == nil {
		return noReservation{}, true, nil
	}
	return f.o.Throttle.Reserve(ctx(r), a.key, a.addr, c, a.now)
}

// succeeded makes the address familiar after a whole sign-in.
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
