package app

import (
	"context"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/lockout"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/server"
)

// throttleAdapter fits lockout.Limiter to login.Throttle and audits every
// lock it imposes.
type throttleAdapter struct {
	l     *lockout.Limiter
	audit *audit.Logger
}

var _ login.Throttle = (*throttleAdapter)(nil)

func newThrottle(cfg *config.Config, c lockout.Counters, a *audit.Logger) (*throttleAdapter, error) {
	lc := cfg.Lockout
	p := lockout.DefaultPolicy()
	p.MaxFailures, p.BaseLockout, p.MaxLockout, p.Window = lc.MaxFailures, lc.BaseLockout, lc.MaxLockout, lc.Window
	p.UnfamiliarMaxPasswords, p.UnfamiliarMaxCodes = lc.UnfamiliarMaxPasswords, lc.UnfamiliarMaxCodes
	p.UserLockout, p.UserMaxLockout, p.KnownAddressFor = lc.UserLockout, lc.UserMaxLockout, lc.FamiliarFor
	// 0 means no per-address limit: one beyond any count reached.
	p.PerAddressMaxFailures = lc.PerAddressMaxFailures
	if p.PerAddressMaxFailures == 0 {
		p.PerAddressMaxFailures = math.MaxInt32
	}
	l, err := lockout.New(c, p)
	if err != nil {
		return nil, err
	}
	return &throttleAdapter{l: l, audit: a}, nil
}

func addrOf(s string) netip.Addr {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.IPv4Unspecified()
	}
	return a.Unmap()
}

func (t *throttleAdapter) Reserve(ctx context.Context, user, addr string, c login.Credential, now time.Time) (login.Reservation, bool, error) {
	kind := lockout.KindPassword
	if c == login.CredentialCode {
		kind = lockout.KindCode
	}
	r, d, err := t.l.Reserve(ctx, user, addrOf(addr), kind, now)
	if err != nil || !d.Allowed {
		return nil, false, err
	}
	return &reservation{t: t, r: r, user: user, addr: addr}, true, nil
}

func (t *throttleAdapter) Success(ctx context.Context, user, addr string, now time.Time) error {
	return t.l.Succeed(ctx, user, addrOf(addr), now)
}

// reservation settles one lockout.Reservation and audits the locks its
// failure imposes.
type reservation struct {
	t          *throttleAdapter
	r          *lockout.Reservation
	user, addr string
}

func (r *reservation) Pass(ctx context.Context) error { return r.t.l.Pass(ctx, r.r) }

func (r *reservation) Fail(ctx context.Context) error {
	locks, err := r.t.l.Fail(ctx, r.r)
	id, _, ua := server.RequestInfo(ctx)
	for _, lk := range locks {
		detail := map[string]string{"until": lk.Until.UTC().Format(time.RFC3339), "level": strconv.Itoa(lk.Level)}
		if lk.Kind != "" {
			detail["unfamiliar_failures"] = string(lk.Kind)
		}
		_ = r.t.audit.Log(ctx, audit.Record{Event: audit.EventLockout, Outcome: audit.OutcomeInfo, User: r.user, ClientAddr: r.addr,
			UserAgent: ua, RequestID: id, Reason: string(lk.Scope), Detail: detail})
	}
	return err
}

// clientAddr honours X-Forwarded-For only from configured proxies.
func clientAddr(trusted []netip.Prefix) func(*http.Request) string {
	return func(r *http.Request) string {
		xff := strings.Join(r.Header.Values("X-Forwarded-For"), ",")
		return lockout.ClientAddr(r.RemoteAddr, xff, trusted).String()
	}
}
