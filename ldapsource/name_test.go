package ldapsource

import (
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/claimgate/claimgate/claims"
)

func allForms(LoginForm) bool { return true }

func TestParseLoginForms(t *testing.T) {
	for _, tc := range []struct {
		in     string
		form   LoginForm
		domain string
		value  string
	}{
		{"alice", FormSAM, "", "alice"},
		{"  alice ", FormSAM, "", "alice"},
		{`EXAMPLE\alice`, FormDomainSAM, "EXAMPLE", "alice"},
		{`example\alice`, FormDomainSAM, "example", "alice"},
		{"alice@example.test", FormUPN, "", "alice@example.test"},
		{"heidi@corp.example.org", FormUPN, "", "heidi@corp.example.org"},
	} {
		l, err := parseLogin(tc.in, allForms)
		if err != nil || l.form != tc.form || l.domain != tc.domain || l.value != tc.value {
			t.Errorf("parseLogin(%q) = %+v, %v; want %s %q %q", tc.in, l, err, tc.form, tc.domain, tc.value)
		}
	}
}

func TestParseLoginRefusesWithoutAskingTheDirectory(t *testing.T) {
	onlyUPN := func(f LoginForm) bool { return f == FormUPN }
	for _, tc := range []struct {
		in    string
		forms func(LoginForm) bool
	}{
		{"", allForms},
		{"   ", allForms},
		{`\alice`, allForms},
		{`EXAMPLE\`, allForms},
		{`A\B\c`, allForms},
		{"al\x00ice", allForms},
		{"alice\n", allForms}, // trimmed, so fine... see below
		{"bad\xffutf8", allForms},
		{string(make([]byte, maxLoginLen+1)), allForms},
		{"alice", onlyUPN},
		{`EXAMPLE\alice`, onlyUPN},
	} {
		l, err := parseLogin(tc.in, tc.forms)
		if tc.in == "alice\n" {
			// Surrounding white space is trimmed like AD does; not an error.
			if err != nil || l.value != "alice" {
				t.Errorf("parseLogin(%q) = %+v, %v", tc.in, l, err)
			}
			continue
		}
		if r, ok := claims.IsRejected(err); !ok || r != claims.ReasonUnknownUser {
			t.Errorf("parseLogin(%q) = %+v, %v; want unknown_user", tc.in, l, err)
		}
	}
}

// TestFilterEscapesHostileNames compiles each filter and checks that the
// whole user input ended up as one equality assertion value: no filter
// structure can be injected.
func TestFilterEscapesHostileNames(t *testing.T) {
	for _, name := range []string{
		"*", "a*", ")(", "*)(objectClass=*", `\`, `\2a`, "(|(uid=*))", "alice)(|(sAMAccountName=*)",
		"x\x00y", "é@example.test", "*@example.test", ")(userPrincipalName=*)@x",
	} {
		l := login{form: FormSAM, value: name}
		if containsAt(name) {
			l.form = FormUPN
		}
		f := l.filter(DefaultUserFilter)
		pkt, err := ldap.CompileFilter(f)
		if err != nil {
			t.Errorf("%q: filter %q does not compile: %v", name, f, err)
			continue
		}
		if pkt.Tag != ldap.FilterAnd || len(pkt.Children) != 2 {
			t.Errorf("%q: filter %q: top level is not (&userfilter(match))", name, f)
			continue
		}
		m := pkt.Children[1]
		if m.Tag != ldap.FilterEqualityMatch || len(m.Children) != 2 {
			t.Errorf("%q: filter %q: match is %s, not an equality match", name, f, ldap.FilterMap[uint64(m.Tag)])
			continue
		}
		attr, val := m.Children[0], m.Children[1]
		if attr.Data.String() != l.attribute() || string(val.Data.Bytes()) != name {
			t.Errorf("%q: filter %q matches %s=%q", name, f, attr.Data.String(), val.Data.Bytes())
		}
	}
}

func containsAt(s string) bool {
	for _, c := range s {
		if c == '@' {
			return true
		}
	}
	return false
}

func TestFilterShape(t *testing.T) {
	got := login{form: FormSAM, value: "a*b"}.filter("(objectClass=user)")
	if want := `(&(objectClass=user)(sAMAccountName=a\2ab))`; got != want {
		t.Fatalf("filter = %s, want %s", got, want)
	}
	got = login{form: FormUPN, value: "alice@example.test"}.filter(DefaultUserFilter)
	if want := "(&" + DefaultUserFilter + "(userPrincipalName=alice@example.test))"; got != want {
		t.Fatalf("filter = %s, want %s", got, want)
	}
}

func TestUPNSuffixes(t *testing.T) {
	cfg := Config{UPNSuffixes: []string{"example.test", "Corp.Example.org"}}
	for upn, want := range map[string]bool{
		"alice@example.test": true, "heidi@corp.example.ORG": true, "alice@evil.test": false,
		"alice@example.test.evil": false, "alice@": false,
	} {
		if got := cfg.upnSuffixAllowed(upn); got != want {
			t.Errorf("%s: allowed=%v, want %v", upn, got, want)
		}
	}
	if !(Config{}).upnSuffixAllowed("anyone@anywhere") {
		t.Error("no suffixes configured must accept any")
	}
}
