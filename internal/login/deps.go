package login

import (
	"context"
	"fmt"
	"time"

	"github.com/claimgate/claimgate/claims"
)

// Directory finds users and checks their passwords. ldapsource and
// internal/userfile implement it. A *claims.RejectedError means the
// credentials or the account are not acceptable; any other error means the
// directory failed and the user should try again later.
type Directory interface {
	Authenticate(ctx context.Context, username, password string) (claims.Identity, error)
	Lookup(ctx context.Context, username string) (claims.Identity, error)
}

// Sessions keeps sign-in sessions server-side; the browser holds only an
// opaque random id. Writes name the version read (ErrConflict-like errors
// otherwise), so a session deleted by sign-out or rotated by another
// request is never written back.
type Sessions interface {
	CreateSession(ctx context.Context, id string, data []byte, expires time.Time) error
	GetSession(ctx context.Context, id string, now time.Time) ([]byte, int64, bool, error)
	UpdateSession(ctx context.Context, id string, version int64, data []byte, expires time.Time) error
	RotateSession(ctx context.Context, oldID string, version int64, newID string, data []byte, expires time.Time) error
	DeleteSession(ctx context.Context, id string) error
}

// Method is a second factor a user can use.
type Method struct {
	ID    string // stable id, e.g. a factor id in the store
	Kind  string // totp, hotp, sms
	Label string // shown to the user
	// Digits is the code length the user should expect.
	Digits int
	// Ready: the user's own device makes the codes (TOTP, HOTP), so
	// Prepare does nothing for it. A user whose only method is ready is
	// shown its code form without a session write, and may answer it
	// with the method not yet recorded in the session.
	Ready bool
}

// SecondFactor verifies one-time codes. Verify must refuse a code that was
// already accepted once, also across restarts.
type SecondFactor interface {
	Methods(ctx context.Context, user claims.Identity) ([]Method, error)
	// Prepare is called when a method is chosen; SMS sends its code here.
	Prepare(ctx context.Context, user claims.Identity, m Method, now time.Time) error
	Verify(ctx context.Context, user claims.Identity, m Method, code string, now time.Time) (bool, error)
}

// WaitError is returned (wrapped or not) by SecondFactor.Prepare when no
// code may be sent now: a resend interval, a send limit or a rate limit.
// Wait is how long until one may be (an upper bound when not exact). It is
// not a failure of anything: the user is told to wait.
type WaitError struct {
	Wait   time.Duration
	Reason string // for the log: "resend_interval", "send_limit", "rate_limit"
}

func (e *WaitError) Error() string {
	return fmt.Sprintf("no code may be sent for %v (%s)", e.Wait, e.Reason)
}

// AppPasswords checks an app-specific password for a user. It returns
// false, nil when none matches. A check costs the same work however many
// app passwords the user has (none included).
type AppPasswords interface {
	CheckAppPassword(ctx context.Context, user, password string, now time.Time) (bool, error)
	// SpendCheck costs what CheckAppPassword costs and decides nothing:
	// for attempts whose answer is already known (unknown, disabled or
	// locked-out accounts), so time does not tell them apart. It never
	// marks an app password used.
	SpendCheck(ctx context.Context, user, password string)
}

// Credential is what a throttled attempt checks; the user-wide limits
// differ for passwords and one-time codes.
type Credential string

// The credentials.
const (
	CredentialPassword Credential = "password" // domain or app password
	CredentialCode     Credential = "code"     // one-time or enrolment code
)

// Throttle counts credential attempts before they are checked. key parts
// are the canonical user name (ThrottleKey) and the client address.
type Throttle interface {
	// Reserve counts one attempt in advance, atomically against the
	// limits. ok false means refused (locked, or the limit is taken by
	// attempts in flight): check nothing.
	Reserve(ctx context.Context, user, addr string, c Credential, now time.Time) (r Reservation, ok bool, err error)
	// Success records a whole sign-in (both factors): the address becomes
	// familiar for the user.
	Success(ctx context.Context, user, addr string, now time.Time) error
}

// Reservation is one counted attempt; settle it exactly once.
type Reservation interface {
	// Fail keeps the attempt counted (a wrong credential); it may lock.
	Fail(ctx context.Context) error
	// Pass gives the attempt back (the credential was right, or nothing
	// was checked because the directory failed).
	Pass(ctx context.Context) error
}

// Decoy is implemented by directories that can spend the work of a
// password check without making one (no bind, nothing counted against the
// account): a locked-out attempt then costs what a checked one does.
type Decoy interface {
	SpendCheck(ctx context.Context, username, password string)
}

// Event is one audit record as the flow sees it; never a secret in it.
type Event struct {
	Name         string // first_factor_ok, first_factor_failed, ...
	User         string
	ClientAddr   string
	UserAgent    string
	RequestID    string
	RelyingParty string
	Reason       string
	Factor       string
}

// Auditor records events.
type Auditor interface {
	Audit(ctx context.Context, e Event)
}
