package app

import (
	"context"
	"log/slog"
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
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/server"
	"github.com/claimgate/claimgate/ldapsource"
)

// throttleAdapter fits lockout.Limiter to login.Throttle and audits every
// lock it imposes. It brings the flow's SprayGuard (login.Guarded): refused
// attempts paced instead of checked, and the admission of checks from
// unfamiliar addresses (lockout.unfamiliar_*).
type throttleAdapter struct {
	l     *lockout.Limiter
	audit *audit.Logger
	guard *login.SprayGuard
}

var (
	_ login.Throttle    = (*throttleAdapter)(nil)
	_ login.Guarded     = (*throttleAdapter)(nil)
	_ login.Familiarity = (*throttleAdapter)(nil)
)

func (t *throttleAdapter) SprayGuard() *login.SprayGuard { return t.guard }

func newThrottle(cfg *config.Config, c lockout.Counters, a *audit.Logger, paced *mfa.Pacer) (*throttleAdapter, error) {
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
	g := login.NewSprayGuard(login.SprayOptions{Checks: lc.UnfamiliarChecks, Queue: lc.UnfamiliarQueue, Wait: lc.UnfamiliarWait, Paced: paced})
	return &throttleAdapter{l: l, audit: a, guard: g}, nil
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

// Familiar tells the flow's admission, before anything is reserved,
// whether addr is familiar for user (login.Familiarity).
func (t *throttleAdapter) Familiar(ctx context.Context, user, addr string, now time.Time) (bool, error) {
	return t.l.Familiar(ctx, user, addrOf(addr), now)
}

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

// warnADLockout reads the domain's own lockout policy in the background
// (start must not wait for a slow DC) and logs a warning when claimgate's
// per-user limit from unfamiliar addresses would let AD lock the accounts
// first (ldapsource.LockoutPolicy.LockoutWarning); best effort: a policy
// that cannot be read is logged at debug. It returns a closer that ends
// the read and waits for it.
func warnADLockout(ctx context.Context, ld *ldapsource.Directory, lc config.Lockout, log *slog.Logger) func() error {
	ctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p, err := ld.LockoutPolicy(ctx)
		if err != nil {
			log.Debug("directory lockout policy not read", "err", err)
			return
		}
		if w := p.LockoutWarning(lc.UnfamiliarMaxPasswords, lc.Window); w != "" {
			log.Warn("lockout: Active Directory may lock accounts before claimgate does", "warning", w,
				"ad_lockout_threshold", p.Threshold, "unfamiliar_max_passwords", lc.UnfamiliarMaxPasswords)
		}
	}()
	return func() error { stop(); <-done; return nil }
}
