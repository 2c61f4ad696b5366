package login

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// oldSession is a session exactly as the code before issue 11 wrote it:
// a sign-in past the password, its WS-Fed request in "pending".
const oldSession = `{"stage":"first","csrf":"c5RfYz","pending":{"realm":"http://adfs.example.test/adfs/services/trust",` +
	`"wctx":"rm=0&id=passive&ru=%2fapp","login_hint":"alice@example.test","wauth":"urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},` +
	`"identity":{"Username":"alice"},"first_factor":"password","typed_key":"alice","first_at":"2025-05-01T10:00:00Z",` +
	`"created":"2025-05-01T09:59:00Z","seen":"2025-05-01T10:00:00Z","expires":"2025-05-01T18:00:00Z"}`

// TestDecodeOldSession: a session written before the split still loads,
// its WS-Fed request read into the neutral Pending, the old object kept
// verbatim as the WS-Fed state (whose names are the same).
func TestDecodeOldSession(t *testing.T) {
	s, err := decodeSession([]byte(oldSession))
	if err != nil {
		t.Fatal(err)
	}
	p := s.Pending
	if p == nil {
		t.Fatal("pending request lost")
	}
	if p.Protocol != "wsfed" || p.Party.ID != "http://adfs.example.test/adfs/services/trust" || p.LoginHint != "alice@example.test" ||
		p.RequestedAuthn.Original != "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport" || p.ForceAuthn || p.Passive {
		t.Errorf("pending %+v", p)
	}
	var st struct {
		Realm   string `json:"realm"`
		Context string `json:"wctx"`
	}
	if err := json.Unmarshal(p.State, &st); err != nil || st.Realm != p.Party.ID || st.Context != "rm=0&id=passive&ru=%2fapp" {
		t.Errorf("state %s: %+v, %v", p.State, st, err)
	}
	if s.Stage != stageFirst || s.CSRF != "c5RfYz" || s.Identity == nil || s.Identity.Username != "alice" || s.TypedKey != "alice" ||
		!s.Expires.Equal(time.Date(2025, 5, 1, 18, 0, 0, 0, time.UTC)) {
		t.Errorf("session fields %+v", s)
	}
	// Written again, it is in the new form, and reads back the same.
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	again, err := decodeSession(data)
	if err != nil {
		t.Fatal(err)
	}
	if q := again.Pending; q.Protocol != p.Protocol || q.Party != p.Party || q.LoginHint != p.LoginHint ||
		q.RequestedAuthn != p.RequestedAuthn || !bytes.Equal(q.State, p.State) {
		t.Errorf("round trip: %+v, want %+v", q, p)
	}
	if bytes.Contains(data, []byte(`"wauth"`)) || !bytes.Contains(data, []byte(`"protocol":"wsfed"`)) {
		t.Errorf("not written in the new form: %s", data)
	}
}

// TestDecodeSessionForms: a finished old session (its request answered)
// has no pending request and needs no upgrade; an old pending request
// without a realm is refused rather than answered to nobody.
func TestDecodeSessionForms(t *testing.T) {
	s, err := decodeSession([]byte(`{"stage":"done","csrf":"x","identity":{"Username":"alice"},"second":true,"expires":"2025-05-01T18:00:00Z"}`))
	if err != nil || s.Pending != nil || s.Stage != stageDone || !s.Second {
		t.Errorf("finished session: %+v, %v", s, err)
	}
	if _, err := decodeSession([]byte(`{"stage":"pending","pending":{"wctx":"x"}}`)); err == nil {
		t.Error("old pending request without realm: accepted")
	}
	if _, err := decodeSession([]byte(`{"stage":`)); err == nil {
		t.Error("broken JSON: accepted")
	}
}

// TestProtocolRegistry: protocols register by name, each once.
func TestProtocolRegistry(t *testing.T) {
	if _, err := byName(nil); err == nil {
		t.Error("no protocol: accepted")
	}
	if _, err := byName([]Protocol{namedProtocol("a"), namedProtocol("a")}); err == nil {
		t.Error("a name twice: accepted")
	}
	if _, err := byName([]Protocol{namedProtocol("")}); err == nil {
		t.Error("no name: accepted")
	}
	m, err := byName([]Protocol{namedProtocol("wsfed"), namedProtocol("saml2")})
	if err != nil || len(m) != 2 || m["saml2"].Name() != "saml2" {
		t.Errorf("two protocols: %v, %v", m, err)
	}
}

type namedProtocol string

func (n namedProtocol) Name() string                                              { return string(n) }
func (n namedProtocol) Routes(*Flow) []Route                                      { return nil }
func (n namedProtocol) Answer(*http.Request, SignedIn, *Pending) (*Answer, error) { return nil, nil }
func (n namedProtocol) Refuse(*http.Request, *Pending, Refusal) (*Answer, error)  { return nil, nil }
