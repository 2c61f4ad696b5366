package login

import (
	"encoding/json"
	"fmt"
)

// decodeSession reads a stored session. A session written before issue 11
// kept the WS-Fed request itself: "pending": {"realm", "wctx",
// "login_hint", "wauth"}, and no "protocol". Such a session, still live
// across an upgrade (a sign-in half done, for at most a session lifetime),
// is read into the protocol-neutral Pending.
func decodeSession(data []byte) (*session, error) {
	s := &session{}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("login: decode session: %w", err)
	}
	if s.Pending != nil && s.Pending.Protocol == "" {
		p, err := legacyPending(data)
		if err != nil {
			return nil, err
		}
		s.Pending = p
	}
	return s, nil
}

// legacyProtocol is the protocol every pre-issue-11 session was for.
const legacyProtocol = "wsfed"

// legacyPending reads the old form. The State is the old object verbatim:
// the WS-Fed adapter's state is a JSON object with the same "realm" and
// "wctx" (internal/login/wsfedflow, state.go), so it reads it as its own.
func legacyPending(data []byte) (*Pending, error) {
	var raw struct {
		Pending json.RawMessage `json:"pending"`
	}
	var old struct {
		Realm         string `json:"realm"`
		LoginHint     string `json:"login_hint"`
		RequestedAuth string `json:"wauth"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("login: decode session: %w", err)
	}
	if err := json.Unmarshal(raw.Pending, &old); err != nil {
		return nil, fmt.Errorf("login: decode session: %w", err)
	}
	if old.Realm == "" {
		return nil, fmt.Errorf("login: decode session: pending request without protocol or realm")
	}
	return &Pending{
		Protocol:  legacyProtocol,
		Party:     Party{ID: old.Realm},
		LoginHint: old.LoginHint,
		// MultiFactor stays false: the state machine does not act on it,
		// and the WS-Fed responder decides from Original (wauth).
		RequestedAuthn: RequestedAuthn{Original: old.RequestedAuth},
		State:          raw.Pending,
	}, nil
}
