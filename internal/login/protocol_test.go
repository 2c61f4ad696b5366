package login_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/templates"
)

// fakeProtocol is a second sign-in protocol, registered beside WS-Fed
// with nothing changed in the state machine: one route that turns its
// query into a Pending, and answers that echo what the flow handed over.
type fakeProtocol struct {
	mu      sync.Mutex
	answers []login.SignedIn
}

const (
	fakePath  = "/fake/signin"
	fakeParty = "urn:fake:party"
	fakeACS   = "https://sp.fake.example.test/acs"
)

func (*fakeProtocol) Name() string { return "fake" }

func (*fakeProtocol) Routes(f *login.Flow) []login.Route {
	return []login.Route{{Method: http.MethodGet, Path: fakePath, Handler: func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f.Begin(w, r, &login.Pending{
			Protocol: "fake", Party: login.Party{ID: fakeParty},
			ForceAuthn: q.Get("force") != "", Passive: q.Get("passive") != "", LoginHint: q.Get("hint"),
			State: []byte(q.Get("state")),
		})
	}}}
}

func (p *fakeProtocol) Answer(r *http.Request, u login.SignedIn, pd *login.Pending) (*login.Answer, error) {
	p.mu.Lock()
	p.answers = append(p.answers, u)
	p.mu.Unlock()
	return &login.Answer{URL: fakeACS, Fields: []templates.Field{
		{Name: "state", Value: string(pd.State)}, {Name: "user", Value: u.Identity.Username},
		{Name: "mfa", Value: strconv.FormatBool(u.SecondFactor)},
	}}, nil
}

func (*fakeProtocol) Refuse(r *http.Request, pd *login.Pending, why login.Refusal) (*login.Answer, error) {
	return &login.Answer{URL: fakeACS, Fields: []templates.Field{{Name: "refused", Value: string(why)}, {Name: "state", Value: string(pd.State)}}}, nil
}

func (p *fakeProtocol) handedOver() []login.SignedIn {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]login.SignedIn(nil), p.answers...)
}

func fakeURL(state string, extra ...string) string {
	q := url.Values{"state": {state}}
	for _, e := range extra {
		q.Set(e, "1")
	}
	return fakePath + "?" + q.Encode()
}

// TestSecondProtocolBesideWSFed: a protocol registered by name mounts its
// own route and is driven by the same state machine: a passive request
// without a sign-in is refused through it, a sign-in hands it the
// signed-in user and its own state back untouched, single sign-on answers
// it (passive too) and a WS-Fed request alike, and a forced request signs
// in again.
func TestSecondProtocolBesideWSFed(t *testing.T) {
	fp := &fakeProtocol{}
	e := newEnv(t, setup{protocols: []login.Protocol{fp}})
	b := e.browser()

	ap := readAutoPost(t, b.get(fakeURL("p0", "passive")))
	if ap.action != fakeACS || ap.values["refused"] != string(login.RefusePassive) || ap.values["state"] != "p0" {
		t.Errorf("passive without a sign-in: %+v", ap)
	}

	ap = readAutoPost(t, b.signIn(fakeURL("s1 &<opaque>")))
	if ap.action != fakeACS || ap.values["state"] != "s1 &<opaque>" || ap.values["user"] != "alice" || ap.values["mfa"] != "true" {
		t.Errorf("after sign-in: %+v", ap)
	}
	if got := fp.handedOver(); len(got) != 1 || joinedValues(got[0].Claims, claims.AuthnMethodsReferences) == "" ||
		got[0].AuthnInstant.IsZero() || !got[0].SecondFactor {
		t.Errorf("signed-in user handed over: %+v", got)
	}
	if !strings.Contains(e.audit.String(), fakeParty) {
		t.Errorf("audit does not name the party:\n%s", e.audit.String())
	}

	ap = readAutoPost(t, b.get(fakeURL("s2", "passive")))
	if ap.values["state"] != "s2" || ap.values["refused"] != "" {
		t.Errorf("passive with single sign-on: %+v", ap)
	}
	ap = readAutoPost(t, b.get(signInURL(realm, "ws")))
	if ap.action != replyURL || ap.values["wctx"] != "ws" {
		t.Errorf("WS-Fed after the other protocol's sign-in: %+v", ap)
	}
	e.verify(t, ap, realm)

	b.get(fakeURL("s3", "force")).wantRedirect(t, login.PathLogin)
}

func joinedValues(cl []claims.Claim, typ string) string {
	for _, c := range cl {
		if c.Type == typ {
			return strings.Join(c.Values, " ")
		}
	}
	return ""
}

// TestOldSessionFinishesAfterUpgrade: a sign-in that older code left half
// done (its session in the store in the old form, the WS-Fed request in
// "pending") finishes after the upgrade: the hint pre-fills, and the
// token goes to the party's reply URL with the old wctx, its method the
// one the old wauth asked for.
func TestOldSessionFinishesAfterUpgrade(t *testing.T) {
	e := newEnv(t, setup{})
	now := e.clk.Now().UTC()
	old := `{"stage":"pending","csrf":"old-csrf-0123456789abcdefghijklmnopqrstuv","pending":{"realm":"` + realm + `","wctx":"legacy ctx&x=1","login_hint":"alice",` +
		`"wauth":"` + claims.SAML2PasswordProtectedTransport + `"},"created":"` + now.Format(time.RFC3339) +
		`","seen":"` + now.Format(time.RFC3339) + `","expires":"` + now.Add(time.Hour).Format(time.RFC3339) + `"}`
	if err := e.db.CreateSession(context.Background(), "old-session-id", []byte(old), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.setSessionCookie("old-session-id")
	lp := b.get(login.PathLogin)
	lp.wantStatus(t, http.StatusOK)
	hinted := false
	for _, in := range lp.doc.all("input") {
		hinted = hinted || in.attr["name"] == "username" && in.attr["value"] == "alice"
	}
	if !hinted {
		t.Error("login_hint of the old session not pre-filled")
	}
	b.post(login.PathLogin, url.Values{"csrf": {lp.csrf(t)}, "username": {"alice"}, "password": {alicePassword}}).wantRedirect(t, login.PathCode)
	p := b.enterCode(e.code())
	p.wantStatus(t, http.StatusOK)
	ap := readAutoPost(t, p)
	if ap.action != replyURL || ap.values["wctx"] != "legacy ctx&x=1" || ap.values["wa"] != "wsignin1.0" {
		t.Errorf("answer to the old request: %+v", ap)
	}
	wantAMR(t, e.verify(t, ap, realm), claims.SAML2PasswordProtectedTransport, claims.AMRPassword, claims.MultipleAuthn)
}
