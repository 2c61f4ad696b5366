package wsfed

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/claimgate/claimgate/sts/internal/xmltext"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// WS-Federation actions (the wa parameter).
const (
	WaSignIn         = "wsignin1.0"
	WaSignOut        = "wsignout1.0"
	WaSignOutCleanup = "wsignoutcleanup1.0"
)

// Size caps for query parameters. AD FS sends a GUID (or, on 2.0, a
// composite string of a few hundred bytes) as wctx and short URIs
// elsewhere, so these leave plenty of room while bounding what we echo.
const (
	MaxParamLen = 4 << 10
	MaxWctxLen  = 8 << 10
)

// RelyingParty is one AD FS farm (or other WS-Fed relying party) we issue
// tokens to.
type RelyingParty struct {
	// Identifier is the wtrealm AD FS sends: its Federation Service
	// identifier, e.g. http://adfs.example.com/adfs/services/trust.
	Identifier string
	// ReplyURL is where the token is POSTed: AD FS's passive endpoint,
	// https://adfs.example.com/adfs/ls/.
	ReplyURL string
	// SignatureAlgorithm is xmlsig.AlgRSASHA256 ("rsa-sha256", the
	// default, also "") or xmlsig.AlgRSASHA1 ("rsa-sha1") for legacy
	// parties.
	SignatureAlgorithm string
	// TokenLifetime overrides the issuer's default lifetime when > 0.
	TokenLifetime time.Duration
}

// Validate reports configuration problems of the party. Paths are left
// to the caller, which knows where the party came from.
func (p RelyingParty) Validate() error {
	var probs []string
	if p.Identifier == "" {
		probs = append(probs, "identifier is empty")
	}
	if u, err := url.Parse(p.ReplyURL); err != nil || u.Scheme == "" || u.Host == "" {
		probs = append(probs, fmt.Sprintf("reply URL %q is not an absolute URL", p.ReplyURL))
	}
	if err := xmlsig.CheckAlgorithm(p.SignatureAlgorithm); err != nil {
		probs = append(probs, err.Error())
	}
	if p.TokenLifetime < 0 {
		probs = append(probs, "token lifetime is negative")
	}
	if len(probs) > 0 {
		return fmt.Errorf("%s", strings.Join(probs, "; "))
	}
	return nil
}

// Parties finds a relying party by its exact, case-sensitive identifier.
type Parties interface {
	Party(identifier string) (*RelyingParty, bool)
}

// PartyList is the simplest Parties: a slice searched linearly (there are
// a handful of AD FS farms at most).
type PartyList []RelyingParty

var _ Parties = PartyList(nil)

// Party returns a copy of the party whose Identifier equals identifier.
func (l PartyList) Party(identifier string) (*RelyingParty, bool) {
	for i := range l {
		if l[i].Identifier == identifier {
			p := l[i]
			return &p, true
		}
	}
	return nil, false
}

// PartyForReply returns a copy of the party whose ReplyURL equals reply.
// ParseRequest uses it to judge a sign-out wreply that comes without
// wtrealm.
func (l PartyList) PartyForReply(reply string) (*RelyingParty, bool) {
	for i := range l {
		if l[i].ReplyURL == reply {
			p := l[i]
			return &p, true
		}
	}
	return nil, false
}

// Action is what a WS-Fed request asks for.
type Action int

// The WS-Fed actions claimgate serves.
const (
	ActionSignIn Action = iota + 1
	ActionSignOut
	ActionSignOutCleanup
)

func (a Action) String() string {
	switch a {
	case ActionSignIn:
		return WaSignIn
	case ActionSignOut:
		return WaSignOut
	case ActionSignOutCleanup:
		return WaSignOutCleanup
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Request is a parsed, checked WS-Fed request.
type Request struct {
	Action Action
	// Party is the relying party named by wtrealm. Always set for sign-in;
	// may be nil for sign-out, which AD FS sends without wtrealm.
	Party *RelyingParty
	// Realm is wtrealm verbatim (the token's Audience and AppliesTo).
	Realm string
	// Reply is where the token goes: always Party.ReplyURL.
	Reply string
	// Context is wctx verbatim, to be echoed byte for byte.
	Context string
	// ForceLogin is true for wfresh=0 or prompt=login: ignore any SSO
	// session and authenticate again.
	ForceLogin bool
	// LoginHint is login_hint, for pre-filling the username.
	LoginHint string
	// RequestedAuth is wauth verbatim; see AuthenticationMethod.
	RequestedAuth string
	// SignOutReply is a sign-out wreply that equals a configured reply
	// URL, and so may be followed; empty otherwise.
	SignOutReply string
	// Notes are log-only remarks on parameters that were ignored (an
	// unknown realm or a foreign wreply on sign-out).
	Notes []string
}

// ParseRequest checks a WS-Fed query (or form) against the configured
// parties. Every refusal is a *RequestError whose Message is safe to show.
// Unknown parameters and unknown wauth values are ignored, as MWBF
// 3.1.5.2 requires.
func ParseRequest(q url.Values, parties Parties) (*Request, error) {
	for k, vs := range q {
		if len(vs) > 1 {
			return nil, reqErr(CodeDuplicateParam, "parameter %q given %d times", xmltext.Clip(k), len(vs))
		}
		limit := MaxParamLen
		if k == "wctx" {
			limit = MaxWctxLen
		}
		if len(k) > MaxParamLen || len(vs[0]) > limit {
			return nil, reqErr(CodeTooLarge, "parameter %q is %d bytes, limit %d", xmltext.Clip(k), len(vs[0]), limit)
		}
		if !cleanParam(vs[0]) {
			return nil, reqErr(CodeMalformed, "parameter %q holds invalid UTF-8 or control characters", xmltext.Clip(k))
		}
	}
	wa := q.Get("wa")
	r := &Request{
		Realm:         q.Get("wtrealm"),
		Context:       q.Get("wctx"),
		LoginHint:     q.Get("login_hint"),
		RequestedAuth: q.Get("wauth"),
		ForceLogin:    q.Get("wfresh") == "0" || hasToken(q.Get("prompt"), "login"),
	}
	switch wa {
	case "":
		return nil, reqErr(CodeMissingWa, "wa is missing")
	case WaSignIn:
		r.Action = ActionSignIn
		return parseSignIn(r, q, parties)
	case WaSignOut:
		r.Action = ActionSignOut
	case WaSignOutCleanup:
		r.Action = ActionSignOutCleanup
	default:
		return nil, reqErr(CodeUnknownWa, "wa %q is not supported", xmltext.Clip(wa))
	}
	parseSignOut(r, q, parties)
	return r, nil
}

func parseSignIn(r *Request, q url.Values, parties Parties) (*Request, error) {
	if r.Realm == "" {
		return nil, reqErr(CodeMissingRealm, "wtrealm is missing")
	}
	p, ok := parties.Party(r.Realm)
	if !ok {
		return nil, reqErr(CodeUnknownRealm, "wtrealm %q is not a configured relying party", xmltext.Clip(r.Realm))
	}
	if _, given := q["wreply"]; given && q.Get("wreply") != p.ReplyURL {
		return nil, reqErr(CodeForeignReply, "wreply %q is not the reply URL of %q", xmltext.Clip(q.Get("wreply")), xmltext.Clip(r.Realm))
	}
	r.Party, r.Reply = p, p.ReplyURL
	return r, nil
}

// parseSignOut never fails on realm or reply: sign-out only ends our own
// session, so refusing it would only leave a user signed in. A wreply is
// followed only on wsignout1.0 and only back to a configured reply URL
// (AD FS ignores wreply on cleanup).
func parseSignOut(r *Request, q url.Values, parties Parties) {
	if r.Realm != "" {
		if p, ok := parties.Party(r.Realm); ok {
			r.Party, r.Reply = p, p.ReplyURL
		} else {
			r.Notes = append(r.Notes, fmt.Sprintf("sign-out for unknown wtrealm %q ignored", xmltext.Clip(r.Realm)))
		}
	}
	reply, given := q["wreply"]
	if !given || r.Action != ActionSignOut {
		return
	}
	switch {
	case r.Party != nil && reply[0] == r.Party.ReplyURL:
		r.SignOutReply = reply[0]
	case r.Party == nil && replyKnown(parties, reply[0]):
		r.SignOutReply = reply[0]
	default:
		r.Notes = append(r.Notes, fmt.Sprintf("sign-out wreply %q is not a configured reply URL; not followed", xmltext.Clip(reply[0])))
	}
}

func replyKnown(parties Parties, reply string) bool {
	byReply, ok := parties.(interface {
		PartyForReply(string) (*RelyingParty, bool)
	})
	if !ok {
		return false
	}
	_, ok = byReply.PartyForReply(reply)
	return ok
}

// cleanParam refuses what can never be a legitimate WS-Fed value and could
// upset logs, HTML or XML downstream: invalid UTF-8 and C0/DEL controls.
func cleanParam(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// hasToken reports whether the space-separated list s contains tok (the
// OIDC-style prompt parameter may list several values).
func hasToken(s, tok string) bool {
	for _, f := range strings.Fields(s) {
		if f == tok {
			return true
		}
	}
	return false
}
