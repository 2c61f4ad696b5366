package login

import (
	"context"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts"
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
// opaque random id.
type Sessions interface {
	PutSession(ctx context.Context, id string, data []byte, expires time.Time) error
	GetSession(ctx context.Context, id string, now time.Time) ([]byte, bool, error)
	DeleteSession(ctx context.Context, id string) error
}

// Method is a second factor a user can use.
type Method struct {
	ID    string // stable id, e.g. a factor id in the store
	Kind  string // totp, hotp, sms
	Label string // shown to the user
	// Digits is the code length the user should expect.
	Digits int
}

// SecondFactor verifies one-time codes. Verify must refuse a code that was
// already accepted once, also across restarts.
type SecondFactor interface {
	Methods(ctx context.Context, user claims.Identity) ([]Method, error)
	// Prepare is called when a method is chosen; SMS sends its code here.
	Prepare(ctx context.Context, user claims.Identity, m Method, now time.Time) error
	Verify(ctx context.Context, user claims.Identity, m Method, code string, now time.Time) (bool, error)
}

// AppPasswords checks an app-specific password for a user. It returns
// false, nil when none matches.
type AppPasswords interface {
	CheckAppPassword(ctx context.Context, user, password string, now time.Time) (bool, error)
}

// Throttle decides whether a credential check may run and records its
// outcome. key parts are the canonical user name (as typed, lower-cased)
// and the client address.
type Throttle interface {
	Allow(ctx context.Context, user, addr string, now time.Time) (bool, error)
	Failure(ctx context.Context, user, addr string, now time.Time) error
	Success(ctx context.Context, user, addr string, now time.Time) error
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

// TokenIssuer builds and signs the WS-Fed response.
type TokenIssuer interface {
	IssueWSFed(req *sts.Request, subj sts.Subject, cl []claims.Claim, authn sts.Authn) (*sts.WSFedResponse, error)
}

var _ TokenIssuer = (*sts.Issuer)(nil)
