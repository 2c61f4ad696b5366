package saml2flow

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/sts/saml2"
)

var testSP = saml2.SP{EntityID: "http://adfs.example.test/adfs/services/trust",
	ACS: []saml2.Endpoint{{Binding: saml2.BindingPOST, Location: "https://adfs.example.test/adfs/ls/", IsDefault: true}}}

func testRequest(rac *saml2.RequestedAuthnContext) *saml2.AuthnRequest {
	sp := testSP
	return &saml2.AuthnRequest{ID: "id-1", Issuer: sp.EntityID, SP: &sp, Binding: saml2.BindingRedirect, ACS: sp.ACS[0],
		RelayState: "r&s", NameIDFormat: saml2.NameIDUnspecified, RequestedAuthnContext: rac, ForceAuthn: true, IsPassive: true}
}

// TestPendingFromRequest: the neutral form names the SP, asks for a second
// factor only when nothing less satisfies the request, and its state
// rebuilds the same request against the configured SP.
func TestPendingFromRequest(t *testing.T) {
	for _, c := range []struct {
		rac *saml2.RequestedAuthnContext
		mfa bool
	}{
		{nil, false},
		{&saml2.RequestedAuthnContext{Comparison: saml2.ComparisonExact, ClassRefs: []string{claims.MultipleAuthn}}, true},
		{&saml2.RequestedAuthnContext{Comparison: saml2.ComparisonMinimum, ClassRefs: []string{saml2.ClassPasswordProtectedTransport}}, false},
		{&saml2.RequestedAuthnContext{Comparison: saml2.ComparisonBetter, ClassRefs: []string{saml2.ClassPasswordProtectedTransport}}, true},
	} {
		req := testRequest(c.rac)
		p, err := pendingFrom(req)
		if err != nil {
			t.Fatal(err)
		}
		if p.Protocol != Protocol || p.Party.ID != testSP.EntityID || !p.ForceAuthn || !p.Passive || p.RequestedAuthn.MultiFactor != c.mfa {
			t.Errorf("%+v: pending %+v", c.rac, p)
		}
		a := &Adapter{o: Options{SPs: saml2.SPList{testSP}}}
		back, err := a.request(p)
		if err != nil {
			t.Fatal(err)
		}
		if back.ID != req.ID || back.ACS != req.ACS || back.RelayState != req.RelayState || back.NameIDFormat != req.NameIDFormat ||
			back.SP.EntityID != req.SP.EntityID || (c.rac == nil) != (back.RequestedAuthnContext == nil) {
			t.Errorf("rebuilt %+v, want %+v", back, req)
		}
	}
	for _, bad := range []string{``, `{`, `{"id":"x"}`, `{"id":"x","sp":"y","acs":"z"}`} {
		if _, err := decodeState([]byte(bad)); err == nil {
			t.Errorf("state %q accepted", bad)
		}
	}
}

// TestAnswerPartyGone: an SP removed, or its ACS re-registered, since the
// request gets nothing.
func TestAnswerPartyGone(t *testing.T) {
	p, err := pendingFrom(testRequest(nil))
	if err != nil {
		t.Fatal(err)
	}
	moved := testSP
	moved.ACS = []saml2.Endpoint{{Binding: saml2.BindingPOST, Location: "https://adfs.example.test/elsewhere/", IsDefault: true}}
	r := httptest.NewRequest("GET", "/login/code", nil)
	for name, sps := range map[string]saml2.SPList{"removed": {}, "ACS moved": {moved}} {
		a := &Adapter{o: Options{SPs: sps}}
		if _, err := a.Answer(r, login.SignedIn{}, p); !errors.Is(err, login.ErrPartyGone) {
			t.Errorf("%s: Answer %v", name, err)
		}
		if _, err := a.Refuse(r, p, login.RefusePassive); !errors.Is(err, login.ErrPartyGone) {
			t.Errorf("%s: Refuse %v", name, err)
		}
	}
}

// TestNewAndRoutes: every dependency is required; SSO and SLO are served
// for GET (HTTP-Redirect) and POST.
func TestNewAndRoutes(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Error("empty options accepted")
	}
	a, err := New(Options{SPs: saml2.SPList{testSP}, IdP: &saml2.IdP{}, SSOURL: "https://x/saml2/sso", SLOURL: "https://x/saml2/slo", Replay: nopCodes{}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range a.Routes(nil) {
		got = append(got, r.Method+" "+r.Path)
	}
	want := []string{"GET /saml2/sso", "POST /saml2/sso", "GET /saml2/slo", "POST /saml2/slo"}
	if a.Name() != "saml2" || len(got) != len(want) {
		t.Fatalf("routes %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("routes %q, want %q", got, want)
		}
	}
}

type nopCodes struct{}

func (nopCodes) UseCode(context.Context, string, string, string, time.Time) (bool, error) {
	return true, nil
}

type brokenCodes struct{ user, factor, fingerprint string }

func (b *brokenCodes) UseCode(_ context.Context, user, factor, fp string, _ time.Time) (bool, error) {
	b.user, b.factor, b.fingerprint = user, factor, fp
	return false, errors.New("store down")
}

// TestReplayFailsClosed: a request ID is recorded as (saml2, SP, ID); a
// store that cannot record it makes the request count as seen, with the
// failure kept for a "try again later" answer.
func TestReplayFailsClosed(t *testing.T) {
	b := &brokenCodes{}
	rc := &replay{ctx: context.Background(), codes: b}
	if !rc.Seen(testSP.EntityID+"\x00id-1", time.Now()) || rc.err == nil {
		t.Errorf("store failure: seen false or no error kept (%v)", rc.err)
	}
	if b.user != "saml2" || b.factor != testSP.EntityID || b.fingerprint != "id-1" {
		t.Errorf("recorded as %q/%q/%q", b.user, b.factor, b.fingerprint)
	}
}
