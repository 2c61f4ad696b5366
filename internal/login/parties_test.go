package login

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/claimgate/claimgate/claims"
)

// TestRecordPartyBounded: a party answered again moves to the end with
// its new record; past MaxParties the oldest are dropped; an oversized
// record is not kept; the adapters' view is a copy of a finished session
// only.
func TestRecordPartyBounded(t *testing.T) {
	s := &session{Stage: stageDone, Identity: &claims.Identity{Username: "alice"}}
	for i := range MaxParties + 4 {
		s.recordParty(SessionParty{Protocol: "saml2", ID: fmt.Sprintf("sp%d", i), Record: []byte("r")})
	}
	if len(s.Parties) != MaxParties || s.Parties[0].ID != "sp4" || s.Parties[MaxParties-1].ID != fmt.Sprintf("sp%d", MaxParties+3) {
		t.Fatalf("%d parties, first %s", len(s.Parties), s.Parties[0].ID)
	}
	s.recordParty(SessionParty{Protocol: "saml2", ID: "sp4", Record: []byte("new")})
	last := s.Parties[len(s.Parties)-1]
	if len(s.Parties) != MaxParties || s.Parties[0].ID != "sp5" || last.ID != "sp4" || string(last.Record) != "new" {
		t.Errorf("re-recorded party: first %s, last %+v", s.Parties[0].ID, last)
	}
	s.recordParty(SessionParty{Protocol: "wsfed", ID: "sp4"}) // same ID, other protocol: another party
	if n := len(s.Parties); n != MaxParties || s.Parties[n-2].ID != "sp4" || s.Parties[n-1].Protocol != "wsfed" {
		t.Errorf("protocols mixed up: %+v", s.Parties[n-2:])
	}
	s.recordParty(SessionParty{Protocol: "saml2", ID: "big", Record: make([]byte, maxRecord+1)})
	if p := s.Parties[len(s.Parties)-1]; p.ID != "big" || p.Record != nil {
		t.Errorf("oversized record kept: %d bytes", len(p.Record))
	}

	v := view(s)
	if v == nil || v.User != "alice" || len(v.Parties) != MaxParties {
		t.Fatalf("view %+v", v)
	}
	v.Parties[0].Record[0] = 'X'
	if string(s.Parties[0].Record) != "r" {
		t.Error("the view shares the session's records")
	}
	if p, ok := v.Party("saml2", "sp4"); !ok || string(p.Record) != "new" {
		t.Errorf("Party(sp4) = %+v, %v", p, ok)
	}
	if _, ok := v.Party("wsfed", "sp5"); ok {
		t.Error("Party matched another protocol")
	}
	for _, st := range []stage{stagePending, stageFirst} {
		if view(&session{Stage: st, Identity: &claims.Identity{Username: "alice"}, Parties: s.Parties}) != nil {
			t.Errorf("a %s session is seen as signed in", st)
		}
	}
	if _, ok := (*Session)(nil).Party("saml2", "sp4"); view(nil) != nil || ok {
		t.Error("nil session")
	}
}

// TestPartiesSurviveStorageAndOldSessions: the parties are stored with
// the session and read back; a session stored before they existed reads
// with none and records them from then on.
func TestPartiesSurviveStorageAndOldSessions(t *testing.T) {
	old, err := decodeSession([]byte(oldSession))
	if err != nil {
		t.Fatal(err)
	}
	if len(old.Parties) != 0 || view(old) != nil {
		t.Fatalf("old session: parties %+v", old.Parties)
	}
	old.Stage = stageDone
	old.recordParty(SessionParty{Protocol: "wsfed", ID: "urn:a"})
	old.recordParty(SessionParty{Protocol: "saml2", ID: "urn:b", Record: []byte(`{"nameid":"alice"}`)})
	data, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeSession(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Parties) != 2 || back.Parties[1].ID != "urn:b" || string(back.Parties[1].Record) != `{"nameid":"alice"}` ||
		back.Pending == nil || back.Pending.Protocol != "wsfed" {
		t.Errorf("read back: %+v pending %+v", back.Parties, back.Pending)
	}
}

// TestCarriedPartiesBelongToTheirUser: a sign-in that replaced alice's
// session keeps her parties when alice signs in again, and drops them
// when bob does; an unfinished sign-in shows them as alice's.
func TestCarriedPartiesBelongToTheirUser(t *testing.T) {
	old := &session{Stage: stageDone, Identity: &claims.Identity{Username: "alice"},
		Parties: []SessionParty{{Protocol: "saml2", ID: "https://sp2.example/"}}}
	for _, c := range []struct {
		user string
		keep bool
	}{{"alice", true}, {"bob", false}} {
		parties, of := carryParties(old)
		s := &session{Stage: stageFirst, Parties: parties, PartiesOf: of}
		if v := view(s); v == nil || v.User != "alice" || len(v.Parties) != 1 {
			t.Fatalf("unfinished sign-in's view %+v", v)
		}
		s.Stage, s.Identity = stageDone, &claims.Identity{Username: c.user}
		dropped := s.adoptParties()
		if got := len(s.Parties) == 1; got != c.keep || s.PartiesOf != "" || (dropped == 0) != c.keep {
			t.Errorf("%s signs in: parties %v, of %q, dropped %d", c.user, s.Parties, s.PartiesOf, dropped)
		}
	}
	if p, of := carryParties(&session{Stage: stageFirst}); p != nil || of != "" {
		t.Error("a session without parties carries something")
	}
	if v := view(&session{Stage: stageFirst}); v != nil {
		t.Error("an unfinished sign-in without carried parties is a signed-in view")
	}
}
