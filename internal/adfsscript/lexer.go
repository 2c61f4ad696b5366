package adfsscript

import (
	"fmt"
	"strings"
	"unicode"
)

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tPunct // @ = == != =~ !~ => [ ] ( ) , ; : . && +
)

type token struct {
	kind      tokKind
	text      string // identifier, punctuation, or the unquoted string value
	line, col int
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of rules"
	case tString:
		return fmt.Sprintf("string %q", t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

// RuleError is a claim rule syntax error at a 1-based line and column.
type RuleError struct {
	Line, Col int
	Msg       string
}

func (e *RuleError) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

// lex splits rule text into tokens. String literals are "..." with \" and \\
// escapes (the form AD FS's rule editor writes); they may not span lines.
func lex(src string) ([]token, error) {
	var toks []token
	line, col := 1, 1
	rs := []rune(src)
	for i := 0; i < len(rs); {
		c := rs[i]
		start := token{line: line, col: col}
		adv := func(n int) {
			for k := 0; k < n; k++ {
				if rs[i] == '\n' {
					line, col = line+1, 1
				} else {
					col++
				}
				i++
			}
		}
		switch {
		case c == '\n' || c == '\r' || c == ' ' || c == '\t' || c == '\ufeff':
			adv(1)
		case c == '"':
			var sb strings.Builder
			adv(1)
			for {
				if i >= len(rs) || rs[i] == '\n' || rs[i] == '\r' {
					return nil, &RuleError{start.line, start.col, "unterminated string"}
				}
				if rs[i] == '\\' && i+1 < len(rs) && (rs[i+1] == '"' || rs[i+1] == '\\') {
					sb.WriteRune(rs[i+1])
					adv(2)
					continue
				}
				if rs[i] == '"' {
					adv(1)
					break
				}
				sb.WriteRune(rs[i])
				adv(1)
			}
			start.kind, start.text = tString, sb.String()
			toks = append(toks, start)
		case unicode.IsLetter(c) || c == '_':
			j := i
			for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j]) || rs[j] == '_') {
				j++
			}
			start.kind, start.text = tIdent, string(rs[i:j])
			adv(j - i)
			toks = append(toks, start)
		default:
			two := ""
			if i+1 < len(rs) {
				two = string(rs[i : i+2])
			}
			switch two {
			case "==", "!=", "=~", "!~", "=>", "&&":
				start.kind, start.text = tPunct, two
				adv(2)
			default:
				if !strings.ContainsRune("@=[](),;:.+", c) {
					return nil, &RuleError{line, col, fmt.Sprintf("unexpected character %q", c)}
				}
				start.kind, start.text = tPunct, string(c)
				adv(1)
			}
			toks = append(toks, start)
		}
	}
	return append(toks, token{kind: tEOF, line: line, col: col}), nil
}
