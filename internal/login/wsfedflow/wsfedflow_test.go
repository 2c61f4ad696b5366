package wsfedflow

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/sts"
	"github.com/claimgate/claimgate/sts/saml11"
	"github.com/claimgate/claimgate/sts/wsfed"
)

const (
	realm    = "http://adfs.example.test/adfs/services/trust"
	replyURL = "https://adfs.example.test/adfs/ls/"
)

var parties = wsfed.PartyList{{Identifier: realm, ReplyURL: replyURL}}

// recordingIssuer records what it was asked to sign and answers with err,
// or a response echoing the request.
type recordingIssuer struct {
	req   *wsfed.Request
	subj  saml11.Subject
	authn saml11.Authn
	err   error
}

func (i *recordingIssuer) IssueWSFed(req *wsfed.Request, subj saml11.Subject, _ []claims.Claim, authn saml11.Authn) (*wsfed.Response, error) {
	i.req, i.subj, i.authn = req, subj, authn
	if i.err != nil {
		return nil, i.err
	}
	return &wsfed.Response{ReplyURL: req.Reply, Wa: wsfed.WaSignIn, WResult: "<rstr/>", WCtx: req.Context}, nil
}

func parse(t *testing.T, q url.Values) *login.Pending {
	t.Helper()
	req, err := wsfed.ParseRequest(q, parties)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pendingFrom(req)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPendingFromRequest: a sign-in request in neutral terms: the party is
// the realm, wfresh=0 forces a sign-in, wauth is kept verbatim and only a
// method a password cannot satisfy asks for a second factor.
func TestPendingFromRequest(t *testing.T) {
	p := parse(t, url.Values{"wa": {wsfed.WaSignIn}, "wtrealm": {realm}, "wctx": {"c&x"}, "wfresh": {"0"},
		"login_hint": {"alice"}, "wauth": {claims.MultipleAuthn}})
	if p.Protocol != Protocol || p.Party.ID != realm || !p.ForceAuthn || p.Passive || p.LoginHint != "alice" ||
		p.RequestedAuthn != (login.RequestedAuthn{MultiFactor: true, Original: claims.MultipleAuthn}) {
		t.Errorf("pending %+v", p)
	}
	if st, err := decodeState(p.State); err != nil || st != (state{Realm: realm, Context: "c&x"}) {
		t.Errorf("state %+v, %v", st, err)
	}
	for wauth, mfa := range map[string]bool{"": false, claims.SAMLPassword: false, claims.SAML2PasswordProtectedTransport: false,
		claims.MultipleAuthn: true, claims.WIAOrMultipleAuthn: true, "urn:unknown": false} {
		if got := asksMultiFactor(wauth); got != mfa {
			t.Errorf("asksMultiFactor(%q) = %v, want %v", wauth, got, mfa)
		}
	}
}

// TestOldPendingIsAState: the pending object sessions held before issue 11
// (login keeps it as the state when it reads such a session) decodes as
// this adapter's state.
func TestOldPendingIsAState(t *testing.T) {
	st, err := decodeState([]byte(`{"realm":"` + realm + `","wctx":"old","login_hint":"alice","wauth":"` + claims.SAMLPassword + `"}`))
	if err != nil || st != (state{Realm: realm, Context: "old"}) {
		t.Errorf("old pending: %+v, %v", st, err)
	}
	for _, bad := range []string{``, `{`, `{"wctx":"x"}`} {
		if _, err := decodeState([]byte(bad)); err == nil {
			t.Errorf("state %q: accepted", bad)
		}
	}
}

func signedIn(second bool) login.SignedIn {
	return login.SignedIn{Identity: claims.Identity{Username: "alice", UPN: "alice@example.test"}, SecondFactor: second,
		AuthnInstant: time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)}
}

// TestAnswer: the token goes to the configured reply URL with wctx
// verbatim, for the realm, with the method the wauth rule picks.
func TestAnswer(t *testing.T) {
	iss := &recordingIssuer{}
	a, err := New(Options{Parties: parties, Issuer: iss})
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, url.Values{"wa": {wsfed.WaSignIn}, "wtrealm": {realm}, "wctx": {"ctx"}, "wauth": {claims.SAML2Password}})
	ans, err := a.Answer(httptest.NewRequest("GET", "/login/code", nil), signedIn(true), p)
	if err != nil {
		t.Fatal(err)
	}
	if ans.URL != replyURL || len(ans.Fields) != 3 || ans.Fields[0].Name != "wa" || ans.Fields[0].Value != wsfed.WaSignIn ||
		ans.Fields[1].Name != "wresult" || ans.Fields[1].Value != "<rstr/>" || ans.Fields[2].Name != "wctx" || ans.Fields[2].Value != "ctx" {
		t.Errorf("answer %+v", ans)
	}
	if iss.req.Realm != realm || iss.req.Party == nil || iss.req.Reply != replyURL || iss.authn.Method != claims.SAML2Password ||
		!iss.authn.Instant.Equal(signedIn(true).AuthnInstant) || iss.subj.NameID != claims.NameID(signedIn(true).Identity) {
		t.Errorf("issued for %+v, %+v, %+v", iss.req, iss.authn, iss.subj)
	}
	// multipleauthn after the password alone: what was done, not what was asked.
	p = parse(t, url.Values{"wa": {wsfed.WaSignIn}, "wtrealm": {realm}, "wauth": {claims.MultipleAuthn}})
	if _, err := a.Answer(httptest.NewRequest("GET", "/", nil), signedIn(false), p); err != nil || iss.authn.Method != claims.SAMLPassword {
		t.Errorf("unsatisfiable wauth: method %q, %v", iss.authn.Method, err)
	}
}

// TestAnswerErrors: a party removed since the request, a value XML cannot
// carry, and any other failure are told apart for the state machine.
func TestAnswerErrors(t *testing.T) {
	p := parse(t, url.Values{"wa": {wsfed.WaSignIn}, "wtrealm": {realm}})
	r := httptest.NewRequest("GET", "/", nil)
	gone, _ := New(Options{Parties: wsfed.PartyList{}, Issuer: &recordingIssuer{}})
	if _, err := gone.Answer(r, signedIn(true), p); !errors.Is(err, login.ErrPartyGone) {
		t.Errorf("party gone: %v", err)
	}
	bad, _ := New(Options{Parties: parties, Issuer: &recordingIssuer{err: fmt.Errorf("claim upn: %w", sts.ErrInvalidXMLText)}})
	if _, err := bad.Answer(r, signedIn(true), p); !errors.Is(err, login.ErrUnsendable) || !errors.Is(err, sts.ErrInvalidXMLText) {
		t.Errorf("unsendable value: %v", err)
	}
	broken, _ := New(Options{Parties: parties, Issuer: &recordingIssuer{err: errors.New("hsm down")}})
	if _, err := broken.Answer(r, signedIn(true), p); err == nil || errors.Is(err, login.ErrUnsendable) || errors.Is(err, login.ErrPartyGone) {
		t.Errorf("issuer failure: %v", err)
	}
	if _, err := broken.Refuse(r, p, login.RefusePassive); err == nil {
		t.Error("WS-Fed has no refusal answer, yet Refuse gave one")
	}
}

// TestNewAndRoutes: parties and an issuer are required; the endpoint is
// the one login.PathWSFed names, for GET and POST.
func TestNewAndRoutes(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Error("no parties, no issuer: accepted")
	}
	if Path != login.PathWSFed {
		t.Errorf("Path %q, login.PathWSFed %q", Path, login.PathWSFed)
	}
	a, err := New(Options{Parties: parties, Issuer: &recordingIssuer{}})
	if err != nil {
		t.Fatal(err)
	}
	rs := a.Routes(nil)
	if a.Name() != Protocol || len(rs) != 2 || rs[0].Method != "GET" || rs[1].Method != "POST" || rs[0].Path != Path || rs[1].Path != Path {
		t.Errorf("routes %+v", rs)
	}
}
