package login

import (
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/templates"
)

// Options configure a Flow. Zero values mean the safe defaults.
type Options struct {
	Protocols    []Protocol // the sign-in protocols (WS-Fed, SAML 2.0), each by its Name
	Directory    Directory
	Sessions     Sessions
	SecondFactor SecondFactor // nil only when RequireSecondFactor is false
	AppPasswords AppPasswords // nil: app passwords are not offered
	Throttle     Throttle     // nil: no throttling (tests only)
	// StartBudget bounds the bytes new sign-ins write (nil: no bound).
	StartBudget *StartBudget
	Auditor     Auditor // nil: events only in the log
	Locker      Locker  // nil: locks within this process (one instance only)
	Pages       *templates.Set
	Logger      *slog.Logger

	// ClaimTypes are the claim types to issue; empty means
	// claims.DefaultTypes (a token without upn, primarysid or amr is of
	// no use to AD FS).
	ClaimTypes []string
	// RequireSecondFactor refuses to issue a token after the password alone.
	RequireSecondFactor bool
	// AppPasswordOnly refuses the domain password: only app passwords work.
	AppPasswordOnly bool
	// Enrol, when set, is offered to a user with no second factor.
	Enrol Enroller
	// Page is the sign-in page's hint and password-change link.
	Page LoginPage

	// SecureCookies marks cookies Secure (HTTPS deployments).
	SecureCookies bool
	// CookieName defaults to "claimgate"; with SecureCookies it always
	// carries the __Host- prefix.
	CookieName string
	// SameSite defaults to Lax.
	SameSite http.SameSite
	// SessionLifetime bounds a whole sign-in and the single sign-on after
	// it; default 8h.
	SessionLifetime time.Duration
	// SessionIdleTimeout ends a session unchanged for this long; 0 means
	// only the lifetime applies.
	SessionIdleTimeout time.Duration
	// MaxCodeAttempts ends a sign-in after this many wrong codes; default 5.
	MaxCodeAttempts int

	// ClientAddr returns the client address of r (proxy-aware).
	ClientAddr func(r *http.Request) string
	// RequestID returns the request id set by the server middleware.
	RequestID func(r *http.Request) string
	Now       func() time.Time
	Rand      io.Reader
}

// Flow serves the sign-in pages. Build it with New.
type Flow struct {
	o        Options
	sessions *sessionManager
	locks    Locker
	// protocols are Options.Protocols by Name: the adapter a Pending's
	// Protocol names parsed it and answers it.
	protocols map[string]Protocol
	// pages are the buffers pages are rendered into (render), kept for the
	// next page: a page grown from nothing cost about ten allocations and
	// copies on the way to its size (the token page is some 10 KiB).
	pages sync.Pool
}

// New checks the options and returns a Flow.
func New(o Options) (*Flow, error) {
	var errs []error
	protocols, err := byName(o.Protocols)
	if err != nil {
		errs = append(errs, err)
	}
	if o.Directory == nil {
		errs = append(errs, errors.New("login: no directory"))
	}
	if o.Sessions == nil {
		errs = append(errs, errors.New("login: no session store"))
	}
	if o.Pages == nil {
		errs = append(errs, errors.New("login: no templates"))
	}
	if o.RequireSecondFactor && o.SecondFactor == nil {
		errs = append(errs, errors.New("login: a second factor is required but none is configured"))
	}
	if o.AppPasswordOnly && o.AppPasswords == nil {
		errs = append(errs, errors.New("login: app passwords only, but no app password store"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.SessionLifetime <= 0 {
		o.SessionLifetime = 8 * time.Hour
	}
	if o.MaxCodeAttempts <= 0 {
		o.MaxCodeAttempts = 5
	}
	if len(o.ClaimTypes) == 0 {
		o.ClaimTypes = claims.DefaultTypes()
	}
	if o.SameSite == 0 {
		o.SameSite = http.SameSiteLaxMode
	}
	if o.CookieName == "" {
		o.CookieName = "claimgate"
	}
	// Over HTTPS the __Host- prefix makes the browser refuse the cookie
	// unless it is Secure, host-only and for path /: no subdomain can set
	// or shadow it.
	if o.SecureCookies && !strings.HasPrefix(o.CookieName, "__Host-") {
		o.CookieName = "__Host-" + o.CookieName
	}
	if o.ClientAddr == nil {
		// The peer's address without its port: throttling counts per
		// client, not per connection.
		o.ClientAddr = func(r *http.Request) string {
			if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
				return host
			}
			return r.RemoteAddr
		}
	}
	if o.RequestID == nil {
		o.RequestID = func(*http.Request) string { return "" }
	}
	locks := o.Locker
	if locks == nil {
		locks = &keyedMutex{}
	}
	return &Flow{o: o, locks: locks, protocols: protocols, sessions: &sessionManager{
		store: o.Sessions, cookie: o.CookieName, secure: o.SecureCookies,
		sameSite: o.SameSite, lifetime: o.SessionLifetime, idle: o.SessionIdleTimeout, paidFor: o.StartBudget.Window(),
		rand: o.Rand, now: o.Now,
	}}, nil
}

// PathWSFed is where the WS-Federation adapter (wsfedflow.Path) serves;
// kept for callers and tests that address it. The state machine does not
// use it: protocols mount their own routes (Protocol.Routes).
const PathWSFed = "/wsfed"

// Paths of the login pages.
const (
	PathLogin = "/login"
	PathCode  = "/login/code"
	PathPick  = "/login/method"
	PathSend  = "/login/resend"
	PathEnrol = "/login/enrol"
)
