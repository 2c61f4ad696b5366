package saml2flow

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/sts/saml2"
)

// state is what the adapter keeps in login.Pending.State: enough to
// answer the AuthnRequest later. The SP is looked up again by entity ID
// and the ACS must still be one of its registered endpoints when the
// answer is made, so an SP removed or re-registered meanwhile gets
// nothing (login.ErrPartyGone); nothing here is ever used as an address
// unless the registration still has it.
type state struct {
	ID           string        `json:"id"`
	SP           string        `json:"sp"`
	ACS          string        `json:"acs"`
	RelayState   string        `json:"relay_state,omitempty"`
	Binding      string        `json:"binding"`
	Signed       bool          `json:"signed,omitempty"`
	NameIDFormat string        `json:"nameid_format"`
	AllowCreate  bool          `json:"allow_create,omitempty"`
	AuthnContext *authnContext `json:"authn_context,omitempty"`
}

// authnContext is saml2.RequestedAuthnContext with stable JSON names.
type authnContext struct {
	Comparison string   `json:"comparison"`
	ClassRefs  []string `json:"class_refs"`
}

func stateOf(req *saml2.AuthnRequest) state {
	st := state{ID: req.ID, SP: req.SP.EntityID, ACS: req.ACS.Location, RelayState: req.RelayState, Binding: req.Binding,
		Signed: req.Signed, NameIDFormat: req.NameIDFormat, AllowCreate: req.AllowCreate}
	if rac := req.RequestedAuthnContext; rac != nil {
		st.AuthnContext = &authnContext{Comparison: rac.Comparison, ClassRefs: rac.ClassRefs}
	}
	return st
}

func encodeState(s state) ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("saml2: encode state: %w", err)
	}
	return b, nil
}

func decodeState(b []byte) (state, error) {
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		return state{}, fmt.Errorf("saml2: decode state: %w", err)
	}
	if s.ID == "" || s.SP == "" || s.ACS == "" || s.NameIDFormat == "" {
		return state{}, errors.New("saml2: state without request ID, SP, ACS or NameID format")
	}
	return s, nil
}

// request rebuilds the AuthnRequest of p against the SPs configured now.
func (a *Adapter) request(p *login.Pending) (*saml2.AuthnRequest, error) {
	st, err := decodeState(p.State)
	if err != nil {
		return nil, err
	}
	sp, ok := a.o.SPs.SP(st.SP)
	if !ok {
		return nil, login.ErrPartyGone
	}
	var acs *saml2.Endpoint
	for i := range sp.ACS {
		if sp.ACS[i].Location == st.ACS && sp.ACS[i].Binding == saml2.BindingPOST {
			acs = &sp.ACS[i]
			break
		}
	}
	if acs == nil {
		return nil, fmt.Errorf("saml2: ACS no longer registered for %q: %w", st.SP, login.ErrPartyGone)
	}
	req := &saml2.AuthnRequest{ID: st.ID, Issuer: sp.EntityID, SP: sp, Binding: st.Binding, Signed: st.Signed, ACS: *acs,
		RelayState: st.RelayState, NameIDFormat: st.NameIDFormat, AllowCreate: st.AllowCreate, ForceAuthn: p.ForceAuthn, IsPassive: p.Passive}
	if c := st.AuthnContext; c != nil {
		req.RequestedAuthnContext = &saml2.RequestedAuthnContext{Comparison: c.Comparison, ClassRefs: c.ClassRefs}
	}
	return req, nil
}
