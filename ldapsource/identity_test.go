package ldapsource

import (
	"encoding/base64"
	"reflect"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/claimgate/claimgate/claims"
)

func sidBytes(t *testing.T, b64 string) []byte {
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBuildIdentity(t *testing.T) {
	sid := sidBytes(t, "AQUAAAAAAAUVAAAAxOsmShrB91xojn2mawYAAA==")
	users := append(append([]byte{}, sid[:24]...), 0x01, 0x02, 0, 0) // same domain, RID 513
	builtin := []byte{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x21, 2, 0, 0}
	e := &ldap.Entry{DN: "CN=alice,CN=Users,DC=example,DC=test", Attributes: []*ldap.EntryAttribute{
		{Name: "sAMAccountName", Values: []string{"alice"}},
		{Name: "userPrincipalName", Values: []string{"alice@example.test"}},
		{Name: "objectSid", ByteValues: [][]byte{sid}, Values: []string{string(sid)}},
		{Name: "primaryGroupID", Values: []string{"513"}},
		{Name: "displayName", Values: []string{"Alice Example"}},
		{Name: "mail", Values: []string{"alice@example.test"}},
		{Name: "telephoneNumber", Values: []string{"+1555"}},
		{Name: "department", Values: []string{"Engineering"}},
	}}
	id, err := buildIdentity(e, [][]byte{users, builtin, users}, "EXAMPLE", "telephoneNumber",
		map[string]string{"department": "http://example/dept", "absent": "http://example/absent"})
	if err != nil {
		t.Fatal(err)
	}
	want := claims.Identity{
		Username: "alice", UPN: "alice@example.test", Domain: "EXAMPLE", DisplayName: "Alice Example",
		Email: "alice@example.test", Mobile: "+1555",
		SID:             "S-1-5-21-1244064708-1559740698-2793246312-1643",
		PrimaryGroupSID: "S-1-5-21-1244064708-1559740698-2793246312-513",
		GroupSIDs:       []string{"S-1-5-21-1244064708-1559740698-2793246312-513", "S-1-5-32-545"},
		Extra:           map[string][]string{"http://example/dept": {"Engineering"}},
	}
	if !reflect.DeepEqual(id, want) {
		t.Fatalf("identity\n got %+v\nwant %+v", id, want)
	}

	e.Attributes[2].ByteValues = [][]byte{sid[:10]}
	if _, err := buildIdentity(e, nil, "EXAMPLE", "mobile", nil); err == nil {
		t.Fatal("malformed objectSid accepted")
	}
	e.Attributes[2].ByteValues = [][]byte{sid}
	if _, err := buildIdentity(e, [][]byte{{1, 9}}, "EXAMPLE", "mobile", nil); err == nil {
		t.Fatal("malformed tokenGroups SID accepted")
	}
}

func TestExactlyOne(t *testing.T) {
	a, b := &ldap.Entry{DN: "CN=a"}, &ldap.Entry{DN: "CN=b"}
	if r, _ := claims.IsRejected(func() error { _, err := exactlyOne(nil); return err }()); r != claims.ReasonUnknownUser {
		t.Errorf("none: %q", r)
	}
	if e, err := exactlyOne([]*ldap.Entry{a}); err != nil || e != a {
		t.Errorf("one: %v %v", e, err)
	}
	_, err := exactlyOne([]*ldap.Entry{a, b})
	if r, _ := claims.IsRejected(err); r != claims.ReasonAmbiguousUser {
		t.Errorf("two: %v", err)
	}
}

func TestDCSuffix(t *testing.T) {
	for in, want := range map[string]string{
		"CN=alice,CN=Users,DC=example,DC=test": "DC=example,DC=test",
		"DC=example,DC=test":                   "DC=example,DC=test",
		"cn=x,ou=People,dc=Corp,dc=example":    "DC=Corp,DC=example",
		"CN=x,O=org":                           "",
	} {
		if got := dcSuffix(in); got != want {
			t.Errorf("dcSuffix(%q) = %q, want %q", in, got, want)
		}
	}
}
