package login

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/templates"
)

// Pending is the sign-in request a party sent, as the state machine sees
// it: which protocol and party, what the party asked for, and the
// protocol's own state, which only its adapter reads. The session keeps it
// until the request is answered.
type Pending struct {
	// Protocol names the adapter that parsed the request and will answer
	// it: its Protocol.Name ("wsfed", "saml2").
	Protocol string `json:"protocol"`
	// Party is the relying party that asked; audit records name it.
	Party Party `json:"party"`
	// RequestedAuthn is how the party asked the user to be authenticated.
	RequestedAuthn RequestedAuthn `json:"requested_authn,omitzero"`
	// ForceAuthn asks for a fresh sign-in even when this browser has a
	// finished one (WS-Fed wfresh=0 or prompt=login, SAML ForceAuthn).
	ForceAuthn bool `json:"force_authn,omitempty"`
	// Passive forbids any page: answer from a finished sign-in, or refuse
	// (SAML IsPassive). WS-Federation has no such request.
	Passive bool `json:"passive,omitempty"`
	// LoginHint pre-fills the user name on the sign-in page.
	LoginHint string `json:"login_hint,omitempty"`
	// State is the adapter's own data (for WS-Fed the realm and wctx, for
	// SAML the request ID, RelayState and ACS). The state machine stores
	// it and hands it back untouched.
	State []byte `json:"state,omitempty"`
}

// Party is the relying party a request came from.
type Party struct {
	// ID is the party's identifier in its protocol (WS-Fed wtrealm, SAML
	// entity ID): what audit records name.
	ID string `json:"id"`
	// Name is a display name for logs; it may be empty.
	Name string `json:"name,omitempty"`
}

// RequestedAuthn is what the party asked for, in the state machine's terms
// plus the protocol's own words.
type RequestedAuthn struct {
	// MultiFactor is true when the party asked for a second factor. The
	// state machine asks for one whenever a second factor is configured,
	// so today this changes nothing in the flow; the responder, which
	// knows what was done (SignedIn.SecondFactor), decides what to answer.
	MultiFactor bool `json:"mfa,omitempty"`
	// Original is the request's value verbatim (WS-Fed wauth, a SAML
	// RequestedAuthnContext class), for the responder and the log.
	Original string `json:"original,omitempty"`
}

// SignedIn is the user a finished sign-in hands to a Responder.
type SignedIn struct {
	Identity claims.Identity
	// Claims are the claims to issue: the configured types, in order.
	Claims []claims.Claim
	// SecondFactor is true when a second factor was proved.
	SecondFactor bool
	// AuthnInstant is when the user last proved a factor.
	AuthnInstant time.Time
	// Session is the session being answered, with the parties it answered
	// before this one (a responder merges its new record with its old).
	Session *Session
}

// Answer is what goes back to the party: a form the browser posts to URL
// at once (the auto-POST page). Both WS-Fed and SAML's POST binding
// answer this way.
type Answer struct {
	URL    string
	Fields []templates.Field
	// Refused, when not empty, marks an answer that refuses the request
	// (a SAML error Response): the protocol's reason, e.g. the SAML status
	// "NoAuthnContext". It is audited as sign_in_refused, not
	// token_issued, and the party is not recorded in the session.
	Refused string
	// Record is what the protocol keeps of a successful answer to sign the
	// party out later (SessionParty.Record); at most a few KiB.
	Record []byte
}

// Frame is one message of a front-channel sign-out, sent in a hidden
// frame of the "signing out" page: URL loaded as it is (Post false), or
// Fields posted to URL in the frame.
type Frame struct {
	URL    string
	Post   bool
	Fields []templates.Field
}

// SignOutNotifier is a Protocol that can tell its parties that a session
// they signed in through has ended (front-channel single logout).
type SignOutNotifier interface {
	// SignOutFrame is the message that tells party p; nil when p has no
	// logout endpoint, and is then not told.
	SignOutFrame(r *http.Request, p SessionParty) (*Frame, error)
}

// Responder answers the pending requests of one protocol. Answer builds the
// answer for a signed-in user; it writes nothing itself, because the state
// machine first records that the request was answered (so a session that
// changed meanwhile gets no token) and then renders the form. Errors that
// wrap ErrPartyGone or ErrUnsendable get their own page; any other is an
// internal error.
type Responder interface {
	Answer(r *http.Request, u SignedIn, p *Pending) (*Answer, error)
	// Refuse answers a request that cannot be signed in as asked (reason
	// says why, e.g. RefusePassive) with the protocol's own error answer.
	// A protocol without one returns an error; the user then sees an
	// error page.
	Refuse(r *http.Request, p *Pending, reason Refusal) (*Answer, error)
}

// Refusal says why a request is refused.
type Refusal string

// RefusePassive: a passive request and no finished sign-in to answer it.
const RefusePassive Refusal = "passive"

// Protocol is one sign-in protocol beside the state machine: it parses its
// requests (into a Pending, then Flow.Begin), mounts its routes and
// answers (Responder). Options.Protocols registers them by Name, so a
// protocol is added without changing the state machine.
type Protocol interface {
	// Name is the Pending.Protocol of its requests.
	Name() string
	Responder
	// Routes are the protocol's endpoints, served by the flow f.
	Routes(f *Flow) []Route
}

// Route is one endpoint of the sign-in: a method, a path and its handler.
// Every sign-in route changes state on GET (a session started or ended,
// an SMS sent, a token issued), so the server answers HEAD there with 405.
type Route struct {
	Method  string
	Path    string
	Handler http.HandlerFunc
}

// ErrPartyGone is wrapped by a Responder when the relying party of the
// request is no longer configured (removed since the request arrived):
// it gets nothing.
var ErrPartyGone = errors.New("login: relying party vanished during sign-in")

// ErrUnsendable marks a Responder error for a value of the user (a
// directory attribute) that the answer cannot carry, e.g. a character
// XML forbids: retrying cannot help, only the directory's administrator
// can. Wrap with Unsendable.
var ErrUnsendable = errors.New("login: a value cannot be carried in the answer")

// Unsendable marks err as ErrUnsendable and keeps its message (which names
// the claim and the character, never the value).
func Unsendable(err error) error { return unsendable{err} }

type unsendable struct{ err error }

func (u unsendable) Error() string        { return u.err.Error() }
func (u unsendable) Unwrap() error        { return u.err }
func (u unsendable) Is(target error) bool { return target == ErrUnsendable }

// byName registers the protocols by Name: at least one, each name once.
func byName(ps []Protocol) (map[string]Protocol, error) {
	if len(ps) == 0 {
		return nil, errors.New("login: no sign-in protocol")
	}
	m := make(map[string]Protocol, len(ps))
	for _, p := range ps {
		if p == nil || p.Name() == "" {
			return nil, errors.New("login: a sign-in protocol without a name")
		}
		if _, dup := m[p.Name()]; dup {
			return nil, fmt.Errorf("login: sign-in protocol %q registered twice", p.Name())
		}
		m[p.Name()] = p
	}
	return m, nil
}
