package login

import "slices"

// MaxParties bounds the parties one session records: the session is
// stored whole on every step, and a browser signing in to ever more
// parties must not grow it without end. The oldest record is dropped
// first; that party is then not told at sign-out (its own session ends
// with its own lifetime).
const MaxParties = 16

// maxRecord bounds one party's adapter record, for the same reason.
const maxRecord = 2 << 10

// SessionParty is one party this session answered: which protocol, the
// party's ID in it, and what the protocol keeps of the answer to sign the
// party out later (for SAML the NameID and SessionIndexes issued, for
// WS-Federation nothing beyond the realm). Only the adapter reads Record.
type SessionParty struct {
	Protocol string `json:"protocol"`
	ID       string `json:"id"`
	Record   []byte `json:"record,omitempty"`
}

// Session is a signed-in browser session as the protocol adapters see it:
// the user and the parties it answered, oldest first. It is a copy; the
// adapters change nothing through it.
type Session struct {
	User    string
	Parties []SessionParty
}

// Party returns this session's record of party id of protocol.
func (s *Session) Party(protocol, id string) (SessionParty, bool) {
	if s == nil {
		return SessionParty{}, false
	}
	for _, p := range s.Parties {
		if p.Protocol == protocol && p.ID == id {
			return p, true
		}
	}
	return SessionParty{}, false
}

// view is the adapters' copy of s, nil when s is not signed in (no
// session, or a sign-in not finished: nothing was issued from it), unless
// a sign-in not finished carries the parties of the session it replaced
// (carryParties): those can still be signed out, as that user's.
func view(s *session) *Session {
	if s == nil {
		return nil
	}
	user := s.PartiesOf
	if s.Identity != nil && s.Stage == stageDone {
		user = s.Identity.Username
	}
	if user == "" || (s.Stage != stageDone && len(s.Parties) == 0) {
		return nil
	}
	v := &Session{User: user, Parties: make([]SessionParty, len(s.Parties))}
	for i, p := range s.Parties {
		v.Parties[i] = SessionParty{Protocol: p.Protocol, ID: p.ID, Record: slices.Clone(p.Record)}
	}
	return v
}

// adoptParties settles the parties a finished sign-in carried over from
// the session it replaced: kept when the same user signed in, dropped
// (and logged by the caller) when another did, since a sign-out of this
// user must not name another user's sessions.
func (s *session) adoptParties() (dropped int) {
	if s.PartiesOf == "" {
		return 0
	}
	if s.Identity == nil || s.Identity.Username != s.PartiesOf {
		dropped = len(s.Parties)
		s.Parties = nil
	}
	s.PartiesOf = ""
	return dropped
}

// recordParty remembers that s answered p: a party already recorded moves
// to the end with its new record, and past MaxParties the oldest goes. A
// record over maxRecord is kept without it (the party is still listed, so
// its adapter can tell what it can without one).
func (s *session) recordParty(p SessionParty) {
	if len(p.Record) > maxRecord {
		p.Record = nil
	}
	s.Parties = slices.DeleteFunc(s.Parties, func(q SessionParty) bool { return q.Protocol == p.Protocol && q.ID == p.ID })
	s.Parties = append(s.Parties, p)
	if n := len(s.Parties) - MaxParties; n > 0 {
		s.Parties = slices.Delete(s.Parties, 0, n)
	}
}
