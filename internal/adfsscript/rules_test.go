package adfsscript

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckRulesAccepts(t *testing.T) {
	for name, rules := range map[string]string{
		"catch-all":            `c:[] => issue(claim = c);`,
		"templates":            "@RuleTemplate = \"PassThroughClaims\"\n@RuleName = \"pass upn\"\nc:[Type == \"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn\"] => issue(claim = c);",
		"value test":           `c:[Type == "http://schemas.microsoft.com/claims/authnmethodsreferences", Value == "http://schemas.microsoft.com/claims/multipleauthn"] => issue(claim = c);`,
		"regex and issuer":     `c:[Type =~ "^http://x/", Issuer != "AD AUTHORITY", OriginalIssuer == "claimgate", ValueType == "http://www.w3.org/2001/XMLSchema#string"] => add(claim = c);`,
		"assignments":          `c:[Type == "http://x/upn"] => issue(Type = "http://x/name", Value = c.Value, Issuer = c.Issuer, OriginalIssuer = c.OriginalIssuer, ValueType = c.ValueType);`,
		"concat":               `c:[Type == "http://x/upn"] => issue(Type = "http://x/name", Value = "corp\\" + c.Value);`,
		"and + not exists":     `NOT EXISTS([Type == "http://x/a"]) && c:[Type == "http://x/b"] => issue(claim = c);`,
		"store query":          `c:[Type == "http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname"] => issue(store = "Active Directory", types = ("http://x/mail", "http://x/group"), query = ";mail,tokenGroups;{0}", param = c.Value);`,
		"two vars":             `c1:[Type == "http://x/a"] && c2:[Type == "http://x/b"] => issue(Type = "http://x/c", Value = c1.Value + c2.Value);`,
		"no condition":         `=> issue(Type = "http://x/role", Value = "user");`,
		"generated acceptance": AcceptanceRules(claimgateTypes),
		"generated amr":        AMRIssuanceRule(),
	} {
		if err := CheckRules(rules); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestCheckRulesRejects(t *testing.T) {
	for name, c := range map[string]struct{ rules, want string }{
		"missing semicolon":   {"@RuleName = \"a\"\nc:[Type == \"http://x/a\"] => issue(claim = c)\n@RuleName = \"b\"", `3:1: expected ";" after the rule's action`},
		"unbalanced bracket":  {`c:[Type == "http://x/a" => issue(claim = c);`, `1:25: expected "," or "]" in condition`},
		"unbalanced paren":    {`c:[Type == "http://x/a"] => issue(claim = c;`, `1:44: expected ")" to close issue(`},
		"unknown action":      {`c:[Type == "http://x/a"] => emit(claim = c);`, `1:29: unknown action "emit"`},
		"unknown attribute":   {"@Rule = \"x\"\nc:[] => issue(claim = c);", `1:2: unknown rule attribute "Rule"`},
		"unknown property":    {`c:[Kind == "x"] => issue(claim = c);`, `1:4: unknown claim property "Kind"`},
		"unknown keyword":     {`c:[] => issue(Kind = "x");`, `1:15: unknown keyword "Kind" in issue(...)`},
		"bad operator":        {`c:[Type = "x"] => issue(claim = c);`, `1:9: expected ==, !=, =~ or !~`},
		"undeclared variable": {`c:[] => issue(claim = d);`, `1:23: claim = d: not a claim variable`},
		"undeclared in value": {`c:[] => issue(Type = "t", Value = x.Value);`, `1:35: x is not a claim variable`},
		"unterminated string": {"c:[Type == \"http://x/a] => issue(claim = c);", `1:12: unterminated string`},
		"missing arrow":       {`c:[Type == "a"] issue(claim = c);`, `1:17: expected "=>"`},
		"no type":             {`c:[] => issue(Value = "v");`, `needs Type`},
		"stray character":     {`c:[] => issue(claim = c); #`, `1:27: unexpected character '#'`},
		"empty":               {"  \n", `1:1: no rules`},
	} {
		err := CheckRules(c.rules)
		var re *RuleError
		if err == nil || !errors.As(err, &re) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
	}
}

func FuzzCheckRules(f *testing.F) {
	f.Add(AcceptanceRules(claimgateTypes))
	f.Add(`NOT EXISTS([Type == "a"]) && c:[] => issue(Type = "t", Value = c.Value + "x");`)
	f.Fuzz(func(t *testing.T, s string) {
		_ = CheckRules(s) // must not panic or loop
	})
}
