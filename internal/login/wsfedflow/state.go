package wsfedflow

import (
	"encoding/json"
	"fmt"
)

// state is what the adapter keeps in login.Pending.State: the realm (the
// party is looked up again by it when the token is issued, so a party
// removed meanwhile gets nothing, and the reply URL is always the
// configured one) and wctx, echoed byte for byte. The JSON names are those
// of the session's pending request before issue 11, so such a session's
// old object reads as a state.
type state struct {
	Realm   string `json:"realm"`
	Context string `json:"wctx"`
}

func encodeState(s state) ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("wsfed: encode state: %w", err)
	}
	return b, nil
}

func decodeState(b []byte) (state, error) {
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		return state{}, fmt.Errorf("wsfed: decode state: %w", err)
	}
	if s.Realm == "" {
		return state{}, fmt.Errorf("wsfed: state without realm")
	}
	return s, nil
}
