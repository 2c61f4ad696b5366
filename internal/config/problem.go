package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a configuration, at a path such as
// relying_parties[1].reply_url. Messages never contain a secret's value.
type Problem struct {
	Path    string
	Message string
	Line    int // line in the file, when known; 0 otherwise
}

func (p Problem) String() string {
	s := p.Message
	if p.Path != "" {
		s = p.Path + ": " + s
	}
	if p.Line > 0 {
		s += fmt.Sprintf(" (line %d)", p.Line)
	}
	return s
}

// ValidationError lists every problem found in a configuration.
type ValidationError struct {
	File     string
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	where := "configuration"
	if e.File != "" {
		where = e.File
	}
	if len(e.Problems) == 1 {
		fmt.Fprintf(&b, "%s: 1 problem:", where)
	} else {
		fmt.Fprintf(&b, "%s: %d problems:", where, len(e.Problems))
	}
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// problems collects Problems; its helpers keep call sites to one line.
type problems []Problem

func (ps *problems) add(path, format string, args ...any) {
	*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// merge returns shape problems (from build) followed by the semantic ones
// (from Validate) that are not about a path build already complained
// about, e.g. "required" after "not a duration". The result is grouped by
// top-level section in document order.
func merge(shape, semantic []Problem) []Problem {
	out := append([]Problem(nil), shape...)
	for _, p := range semantic {
		if !covered(shape, p.Path) {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return sectionRank(out[i].Path) < sectionRank(out[j].Path) })
	return out
}

func covered(ps []Problem, path string) bool {
	for _, p := range ps {
		if p.Path != "" && (path == p.Path || strings.HasPrefix(path, p.Path+".") || strings.HasPrefix(path, p.Path+"[")) {
			return true
		}
	}
	return false
}

var sections = []string{"entity_id", "base_url", "data_dir", "server", "signing", "token", "relying_parties", "saml2",
	"claims", "directory", "mfa", "sms", "lockout", "store", "audit", "branding", "logging", "adfs"}

func sectionRank(path string) int {
	top := path
	if i := strings.IndexAny(path, ".["); i >= 0 {
		top = path[:i]
	}
	for i, s := range sections {
		if s == top {
			return i
		}
	}
	return len(sections)
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }
