package adfsscript

import (
	"fmt"
	"strings"
)

// CheckRules parses AD FS claim rule language text and returns the first syntax
// error as a *RuleError ("line:col: message"), or nil. It accepts the subset
// claimgate's scripts and documentation use:
//
//	rule       = { "@RuleName" "=" string | "@RuleTemplate" "=" string } [ conditions ] "=>" action ";"
//	conditions = condition { "&&" condition }
//	condition  = [ ident ":" ] "[" [ test { "," test } ] "]"
//	           | [ "NOT" ] "EXISTS" "(" "[" [ test { "," test } ] "]" ")"
//	test       = property ( "==" | "!=" | "=~" | "!~" ) string
//	property   = "Type" | "Value" | "Issuer" | "OriginalIssuer" | "ValueType"
//	action     = ( "issue" | "add" ) "(" ( "claim" "=" ident | assign { "," assign } ) ")"
//	assign     = ( property | "store" | "types" | "query" | "param" ) "=" value
//	value      = term { "+" term }
//	term       = string | ident "." property | "(" string { "," string } ")"
//
// Keywords are matched case-insensitively. A claim variable used in an action
// (c in claim = c, c.Value) must be declared by a condition of the same rule.
func CheckRules(text string) error {
	toks, err := lex(text)
	if err != nil {
		return err
	}
	p := &parser{toks: toks}
	n := 0
	for p.peek().kind != tEOF {
		if err := p.rule(); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return &RuleError{1, 1, "no rules"}
	}
	return nil
}

var (
	properties   = []string{"Type", "Value", "Issuer", "OriginalIssuer", "ValueType"}
	storeKeys    = []string{"store", "types", "query", "param"}
	comparisons  = []string{"==", "!=", "=~", "!~"}
	ruleAttrKeys = []string{"RuleName", "RuleTemplate"}
)

type parser struct {
	toks []token
	pos  int
	vars map[string]bool // claim variables declared in the current rule
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token { t := p.toks[p.pos]; p.pos++; return t }

func (p *parser) errAt(t token, format string, a ...any) error {
	return &RuleError{t.line, t.col, fmt.Sprintf(format, a...)}
}

func (p *parser) expect(punct, context string) (token, error) {
	t := p.next()
	if t.kind != tPunct || t.text != punct {
		return t, p.errAt(t, "expected %q %s, found %s", punct, context, t)
	}
	return t, nil
}

func isPunct(t token, s string) bool { return t.kind == tPunct && t.text == s }

func keyword(t token, list []string) (string, bool) {
	if t.kind != tIdent {
		return "", false
	}
	for _, k := range list {
		if strings.EqualFold(t.text, k) {
			return k, true
		}
	}
	return "", false
}

func (p *parser) rule() error {
	p.vars = map[string]bool{}
	for isPunct(p.peek(), "@") {
		p.next()
		t := p.next()
		if _, ok := keyword(t, ruleAttrKeys); !ok {
			return p.errAt(t, "unknown rule attribute %s (want @RuleName or @RuleTemplate)", t)
		}
		if _, err := p.expect("=", "after @"+t.text); err != nil {
			return err
		}
		if s := p.next(); s.kind != tString {
			return p.errAt(s, "expected a string after @%s =, found %s", t.text, s)
		}
	}
	if !isPunct(p.peek(), "=>") {
		for {
			if err := p.condition(); err != nil {
				return err
			}
			if !isPunct(p.peek(), "&&") {
				break
			}
			p.next()
		}
	}
	if _, err := p.expect("=>", "before the rule's action"); err != nil {
		return err
	}
	if err := p.action(); err != nil {
		return err
	}
	_, err := p.expect(";", "after the rule's action")
	return err
}

func (p *parser) condition() error {
	t := p.peek()
	if k, ok := keyword(t, []string{"NOT", "EXISTS"}); ok {
		p.next()
		if k == "NOT" {
			if e := p.next(); !strings.EqualFold(e.text, "EXISTS") || e.kind != tIdent {
				return p.errAt(e, "expected EXISTS after NOT, found %s", e)
			}
		}
		if _, err := p.expect("(", "after EXISTS"); err != nil {
			return err
		}
		if err := p.selector(); err != nil {
			return err
		}
		_, err := p.expect(")", "to close EXISTS(")
		return err
	}
	if t.kind == tIdent {
		p.next()
		if _, err := p.expect(":", "after claim variable "+t.text); err != nil {
			return err
		}
		p.vars[t.text] = true
	}
	return p.selector()
}

func (p *parser) selector() error {
	if _, err := p.expect("[", "to open a condition"); err != nil {
		return err
	}
	if isPunct(p.peek(), "]") {
		p.next()
		return nil
	}
	for {
		prop := p.next()
		if _, ok := keyword(prop, properties); !ok {
			return p.errAt(prop, "unknown claim property %s in condition (want Type, Value, Issuer, OriginalIssuer or ValueType)", prop)
		}
		op := p.next()
		if op.kind != tPunct || !contains(comparisons, op.text) {
			return p.errAt(op, "expected ==, !=, =~ or !~ after %s, found %s", prop.text, op)
		}
		if s := p.next(); s.kind != tString {
			return p.errAt(s, "expected a string after %s %s, found %s", prop.text, op.text, s)
		}
		t := p.next()
		if isPunct(t, "]") {
			return nil
		}
		if !isPunct(t, ",") {
			return p.errAt(t, "expected \",\" or \"]\" in condition, found %s", t)
		}
	}
}

func (p *parser) action() error {
	t := p.next()
	if _, ok := keyword(t, []string{"issue", "add"}); !ok {
		return p.errAt(t, "unknown action %s (want issue or add)", t)
	}
	if _, err := p.expect("(", "after "+t.text); err != nil {
		return err
	}
	first := p.peek()
	if k, ok := keyword(first, []string{"claim"}); ok && k == "claim" {
		p.next()
		if _, err := p.expect("=", "after claim"); err != nil {
			return err
		}
		v := p.next()
		if v.kind != tIdent || !p.vars[v.text] {
			return p.errAt(v, "claim = %s: not a claim variable declared in this rule's conditions", v.text)
		}
	} else {
		seen := map[string]bool{}
		for {
			key := p.next()
			k, ok := keyword(key, append(append([]string(nil), properties...), storeKeys...))
			if !ok {
				return p.errAt(key, "unknown keyword %s in %s(...)", key, t.text)
			}
			if seen[k] {
				return p.errAt(key, "%s assigned twice", k)
			}
			seen[k] = true
			if _, err := p.expect("=", "after "+key.text); err != nil {
				return err
			}
			if err := p.value(); err != nil {
				return err
			}
			if !isPunct(p.peek(), ",") {
				break
			}
			p.next()
		}
		if !seen["Type"] && !seen["store"] {
			return p.errAt(first, "%s(...) needs Type = ... (or store = ... for an attribute store query)", t.text)
		}
	}
	_, err := p.expect(")", "to close "+t.text+"(")
	return err
}

func (p *parser) value() error {
	for {
		t := p.next()
		switch {
		case t.kind == tString:
		case t.kind == tIdent:
			if !p.vars[t.text] {
				return p.errAt(t, "%s is not a claim variable declared in this rule's conditions", t.text)
			}
			if _, err := p.expect(".", "after claim variable "+t.text); err != nil {
				return err
			}
			if prop := p.next(); !contains(properties, canonical(prop)) {
				return p.errAt(prop, "unknown claim property %s", prop)
			}
		case isPunct(t, "("):
			for {
				if s := p.next(); s.kind != tString {
					return p.errAt(s, "expected a string in the list, found %s", s)
				}
				c := p.next()
				if isPunct(c, ")") {
					break
				}
				if !isPunct(c, ",") {
					return p.errAt(c, "expected \",\" or \")\" in the list, found %s", c)
				}
			}
		default:
			return p.errAt(t, "expected a string, claim property or list, found %s", t)
		}
		if !isPunct(p.peek(), "+") {
			return nil
		}
		p.next()
	}
}

func canonical(t token) string {
	k, _ := keyword(t, properties)
	return k
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
