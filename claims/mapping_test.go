package claims

import (
	"slices"
	"testing"
)

func mappingIdentity() Identity {
	return Identity{Username: "alice", UPN: "alice@corp.example", Domain: "CORP",
		SID:       "S-1-5-21-1-2-3-1105",
		GroupSIDs: []string{"S-1-5-21-1-2-3-513", "s-1-5-11", "S-1-5-32-545"}}
}

func claimValues(cl []Claim, typ string) []string {
	for _, c := range cl {
		if c.Type == typ {
			return c.Values
		}
	}
	return nil
}

// TestNameClaimIsDomainUserByDefault: name carries DOMAIN\user, as AD
// FS's Active Directory claims provider issues it (before: the UPN);
// NameUPN switches it to the UPN, and the subject stays the UPN either way.
func TestNameClaimIsDomainUserByDefault(t *testing.T) {
	id := mappingIdentity()
	f := Facts{}
	if got := claimValues(Issue(id, f, []string{Name}), Name); !slices.Equal(got, []string{`CORP\alice`}) {
		t.Errorf("unmapped name = %v", got)
	}
	if got := claimValues(Issue(DefaultMapping().Apply(id), f, []string{Name}), Name); !slices.Equal(got, []string{`CORP\alice`}) {
		t.Errorf("default name = %v", got)
	}
	up := Mapping{Name: NameUPN}.Apply(id)
	if got := claimValues(Issue(up, f, []string{Name}), Name); !slices.Equal(got, []string{"alice@corp.example"}) {
		t.Errorf("upn name = %v", got)
	}
	if NameID(up) != "alice@corp.example" || NameID(DefaultMapping().Apply(id)) != "alice@corp.example" {
		t.Error("the subject changed with the name claim")
	}
	// A users-file account without a UPN or domain still gets a name.
	bare := Identity{Username: "bob"}
	if (Mapping{Name: NameUPN}).Apply(bare).NameValue() != "bob" || DefaultMapping().Apply(bare).NameValue() != "bob" {
		t.Error("no name for an account without UPN and domain")
	}
	// Applying again (single sign-on asks the directory again) switches back.
	if DefaultMapping().Apply(up).NameValue() != `CORP\alice` {
		t.Error("a second mapping kept the first one's name")
	}
}

// TestLogonSIDsAdded: the default mapping adds Everyone, NETWORK,
// Authenticated Users and This Organization after the directory's groups,
// never twice (SIDs compare case-insensitively), and leaves the input
// identity's slice alone; an empty list adds nothing. (Before: groupsid
// was tokenGroups only.)
func TestLogonSIDsAdded(t *testing.T) {
	id := mappingIdentity()
	got := DefaultMapping().Apply(id).GroupSIDs
	want := []string{"S-1-5-21-1-2-3-513", "s-1-5-11", "S-1-5-32-545", "S-1-1-0", "S-1-5-2", "S-1-5-15"}
	if !slices.Equal(got, want) {
		t.Errorf("groups %v, want %v", got, want)
	}
	if !slices.Equal(id.GroupSIDs, mappingIdentity().GroupSIDs) {
		t.Errorf("the input was changed: %v", id.GroupSIDs)
	}
	if got := (Mapping{LogonSIDs: []string{}}).Apply(id).GroupSIDs; !slices.Equal(got, id.GroupSIDs) {
		t.Errorf("empty list: %v", got)
	}
	cl := Issue(DefaultMapping().Apply(id), Facts{}, []string{GroupSID})
	if got := claimValues(cl, GroupSID); !slices.Equal(got, want) {
		t.Errorf("groupsid claim %v", got)
	}
}

// TestNeedsPasswordChange: only 773 and 532, which AD answers only to a
// correct password, may be shown to the user.
func TestNeedsPasswordChange(t *testing.T) {
	for _, r := range []Reason{ReasonUnknownUser, ReasonAmbiguousUser, ReasonBadPassword, ReasonDisabled, ReasonLockedOut,
		ReasonAccountExpired, ReasonNotPermitted, ReasonPolicy, ""} {
		if r.NeedsPasswordChange() {
			t.Errorf("%q is shown to the user", r)
		}
	}
	if !ReasonMustChange.NeedsPasswordChange() || !ReasonPasswordExpired.NeedsPasswordChange() {
		t.Error("773/532 are not shown")
	}
}
