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
	p := lockout.DefaultPolicy()
	lc := cfg.Lockout
	if lc.MaxFailures > 0 {
		p.MaxFailures = lc.MaxFailures
	}
	if lc.BaseLockout > 0 {
		p.BaseLockout = lc.BaseLockout
	}
	if lc.MaxLockout > 0 {
		p.MaxLockout = lc.MaxLockout
	}
	// 0 means no per-address limit: one beyond any count reached.
	p.PerAddressMaxFailures = lc.PerAddressMaxFailures
	if p.PerAddressMaxFailures == 0 {
		p.PerAddressMaxFailures = math.MaxInt32
	}
	if lc.Window > 0 {
		p.Window = lc.Window
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

func (t *throttleAdapter) Allow(ctx context.Context, user, addr string, now time.Time) (bool, error) {
	d, err := t.l.Check(ctx, user, addrOf(addr), now)
	return d.Allowed, err
}

func (t *throttleAdapter) Failure(ctx context.Context, user, addr string, now time.Time) error {
	locks, err := t.l.Fail(ctx, user, addrOf(addr), now)
	id, _, ua := server.RequestInfo(ctx)
	for _, lk := range locks {
		_ = t.audit.Log(ctx, audit.Record{Event: audit.EventLockout, Outcome: audit.OutcomeInfo, User: user, ClientAddr: addr,
			UserAgent: ua, RequestID: id, Reason: string(lk.Scope), Detail: map[string]string{"until": lk.Until.UTC().Format(time.RFC3339), "level": strconv.Itoa(lk.Level)}})
	}
	return err
}

func (t *throttleAdapter) Success(ctx context.Context, user, addr string, now time.Time) error {
	return t.l.Succeed(ctx, user, addrOf(addr), now)
}

// clientAddr honours X-Forwarded-For only from configured proxies.
func clientAddr(trusted []netip.Prefix) func(*http.Request) string {
	return func(r *http.Request) string {
		xff := strings.Join(r.Header.Values("X-Forwarded-For"), ",")
		return lockout.ClientAddr(r.RemoteAddr, xff, trusted).String()
	}
}
