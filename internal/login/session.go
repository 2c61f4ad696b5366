package login

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/claimgate/claimgate/claims"
)

type stage string

const (
	stagePending stage = "pending" // protocol request received, no factor yet
	stageFirst   stage = "first"   // password (or app password) accepted
	stageDone    stage = "done"    // both factors accepted
)

// session is the server-side state of one browser's sign-in.
type session struct {
	id string
	// version is the store version this copy was read at (or written as);
	// every write names it, so a copy of a session that was deleted or
	// changed since is never written back.
	version int64
	// held is the context of the locks this copy was read under (nil:
	// none); a write checks it, so a request whose lock was lost meanwhile
	// writes nothing (see lost).
	held context.Context
	// size is the stored data's length when read (0: new).
	size int

	Stage       stage            `json:"stage"`
	CSRF        string           `json:"csrf"`
	Pending     *Pending         `json:"pending,omitempty"` // the request this sign-in answers
	Identity    *claims.Identity `json:"identity,omitempty"`
	FirstFactor string           `json:"first_factor,omitempty"` // password | app_password
	// TypedKey is the throttle key of the name typed at the password step.
	TypedKey string    `json:"typed_key,omitempty"`
	FirstAt  time.Time `json:"first_at,omitzero"`
	SecondAt time.Time `json:"second_at,omitzero"`
	Second   bool      `json:"second,omitempty"` // a second factor was proved (the times may be equal)
	Method   string    `json:"method,omitempty"` // chosen second factor id
	Attempts int       `json:"attempts,omitempty"`
	EnrolID  string    `json:"enrol_id,omitempty"` // unconfirmed factor offered for enrolment
	// SecondKind is the kind of second factor used (totp, hotp, sms).
	SecondKind string `json:"second_kind,omitempty"`
	// EnrolOffered is set when the code step found no factor and sent the
	// user to enrol; only then may this sign-in enrol one.
	EnrolOffered bool `json:"enrol_offered,omitempty"`
	// Parties are the parties this session answered (parties.go), for
	// single logout. Sessions written before issue 11 have none.
	Parties []SessionParty `json:"parties,omitempty"`
	// PartiesOf is the user Parties were answered for when this session
	// took them over from the one a new sign-in replaced (a forced
	// re-authentication); empty once this session's own user is known.
	PartiesOf string `json:"parties_of,omitempty"`
	// Paid is when the StartBudget was paid for this sign-in's row, and
	// PaidFor the window that payment bought (the budget's window then);
	// a replacement that pays nothing inherits both. Keeping the window
	// matters across a reload that lengthens it: a row bought at a short
	// window's rate must not be kept alive for free over the long one.
	// Rows written before PaidFor existed have none: the window in force.
	Paid    time.Time     `json:"paid,omitzero"`
	PaidFor time.Duration `json:"paid_for,omitzero"`
	Created time.Time     `json:"created"`
	Seen    time.Time     `json:"seen"` // last change, for the idle timeout
	Expires time.Time     `json:"expires"`
}

func newID(r io.Reader) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("login: random id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// sessionManager loads and saves sessions and their cookie.
type sessionManager struct {
	store    Sessions
	cookie   string
	secure   bool
	sameSite http.SameSite
	lifetime time.Duration
	idle     time.Duration // 0: no idle timeout
	paidFor  time.Duration // the StartBudget's window (0: none)
	rand     io.Reader
	now      func() time.Time
}

func (m *sessionManager) load(r *http.Request, now time.Time) (*session, error) {
	c, err := r.Cookie(m.cookie)
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return nil, nil
	}
	return m.loadID(ctx(r), c.Value, now)
}

// loadID is the live session of id, nil if there is none.
func (m *sessionManager) loadID(ctx context.Context, id string, now time.Time) (*session, error) {
	data, version, ok, err := m.store.GetSession(ctx, id, now)
	if err != nil {
		return nil, fmt.Errorf("login: load session: %w", err)
	}
	if !ok {
		return nil, nil
	}
	s, err := decodeSession(data)
	if err != nil {
		return nil, err
	}
	if !now.Before(m.rowExpiry(s)) {
		return nil, nil
	}
	s.id, s.version, s.size = id, version, len(data)
	return s, nil
}

// rowExpiry is when s stops working: at the end of its lifetime, or, with
// an idle timeout, that long after its last change, whichever is first.
// The store is given this time, not the lifetime's end, so the hourly
// cleanup deletes a sign-in abandoned on the password page (or a flood of
// sign-in requests nobody follows) after the idle timeout, not hours
// later: each one is a row of up to the request's 16 KiB.
//
// A sign-in still waiting for its password whose row was paid for from
// the StartBudget (Paid) also ends a budget window after that payment, so
// starting again for free (which inherits Paid) cannot keep a row alive
// past the window it was paid in (the shorter of PaidFor and the window
// now): the rows a window's budget bought are gone by the end of the next.
func (m *sessionManager) rowExpiry(s *session) time.Time {
	end := s.Expires
	if m.idle > 0 && !s.Seen.IsZero() {
		if t := s.Seen.Add(m.idle); t.Before(end) {
			end = t
		}
	}
	if m.paidFor > 0 && s.Stage == stagePending && !s.Paid.IsZero() {
		if t := s.Paid.Add(paidWindow(s, m.paidFor)); t.Before(end) {
			end = t
		}
	}
	return end
}

// paidWindow is how long after Paid s's payment lasts: the window it
// bought, or window (the budget's now) if that is shorter or s has none.
func paidWindow(s *session, window time.Duration) time.Duration {
	if s.PaidFor > 0 && s.PaidFor < window {
		return s.PaidFor
	}
	return window
}

// start makes a new session; the caller saves it.
func (m *sessionManager) start(now time.Time) (*session, error) {
	csrf, err := newID(m.rand)
	if err != nil {
		return nil, err
	}
	return &session{Stage: stagePending, CSRF: csrf, Created: now, Seen: now, Expires: now.Add(m.lifetime)}, nil
}

// errSessionGone means the session was deleted (signed out) or changed by
// another request since this one read it: this request's copy is stale
// and was not written.
var errSessionGone = errors.New("login: session ended or changed by another request")

// save stores s under a NEW id, in one step with deleting the old one, and
// sets the cookie: every change of stage rotates the id, so an id seen
// before a factor is worthless after it, and a session is rotated at most
// once.
func (m *sessionManager) save(ctx context.Context, w http.ResponseWriter, s *session) error {
	return m.saveIf(ctx, w, s, nil)
}

// errStartRefused: the StartBudget had no room for a new session's row;
// nothing was written.
var errStartRefused = errors.New("login: new-session budget spent")

// saveIf is save, if admit (nil: always) lets a row of its encoded size
// be written; errStartRefused when it does not (Begin's new sessions).
func (m *sessionManager) saveIf(ctx context.Context, w http.ResponseWriter, s *session, admit func(n int) bool) error {
	if err := lost(s.held); err != nil {
		return err
	}
	old := s.id
	id, err := newID(m.rand)
	if err != nil {
		return err
	}
	csrf, err := newID(m.rand)
	if err != nil {
		return err
	}
	s.CSRF, s.Seen = csrf, m.now()
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("login: encode session: %w", err)
	}
	if admit != nil && !admit(len(data)) {
		return errStartRefused
	}
	if old == "" {
		err = m.store.CreateSession(ctx, id, data, m.rowExpiry(s))
	} else {
		err = m.store.RotateSession(ctx, old, s.version, id, data, m.rowExpiry(s))
	}
	if err != nil {
		return m.writeError(ctx, "save", s, err)
	}
	s.id, s.version = id, 1
	http.SetCookie(w, m.httpCookie(id, s.Expires))
	return nil
}

// update stores s under its current id (no stage change), only if the
// stored session is still the version s was read at.
func (m *sessionManager) update(ctx context.Context, s *session) error {
	if err := lost(s.held); err != nil {
		return err
	}
	s.Seen = m.now()
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("login: encode session: %w", err)
	}
	if err := m.store.UpdateSession(ctx, s.id, s.version, data, m.rowExpiry(s)); err != nil {
		return m.writeError(ctx, "update", s, err)
	}
	s.version++
	return nil
}

// writeError tells a lost race (the session is gone or at another version:
// errSessionGone) from a store failure, by reading the row again.
func (m *sessionManager) writeError(ctx context.Context, op string, s *session, err error) error {
	_, v, found, rerr := m.store.GetSession(ctx, s.id, m.now())
	if rerr == nil && (!found || v != s.version) {
		return errSessionGone
	}
	return fmt.Errorf("login: %s session: %w", op, err)
}

// end deletes s and clears the cookie. When the delete fails the cookie
// stays: the session still works, and the user must be able to try the
// sign-out again.
func (m *sessionManager) end(ctx context.Context, w http.ResponseWriter, s *session) error {
	if s != nil && s.id != "" {
		if err := m.store.DeleteSession(ctx, s.id); err != nil {
			return fmt.Errorf("login: delete session: %w", err)
		}
	}
	http.SetCookie(w, m.httpCookie("", time.Unix(0, 0)))
	return nil
}

func (m *sessionManager) httpCookie(value string, expires time.Time) *http.Cookie {
	c := &http.Cookie{Name: m.cookie, Value: value, Path: "/", HttpOnly: true, Secure: m.secure, SameSite: m.sameSite}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.Expires = expires
	}
	return c
}

// checkCSRF compares the form token with the session's in constant time.
func checkCSRF(s *session, r *http.Request) bool {
	got := r.PostFormValue("csrf")
	if s == nil || got == "" || s.CSRF == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRF)) == 1
}
