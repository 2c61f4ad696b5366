package sts

import (
	"go/build"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/claimgate/claimgate/"

// TestImportLayers keeps the split of sts honest: no package under sts
// imports net/http, even indirectly through another claimgate package, and
// the document packages import only downwards, never package sts or a
// sibling above them (see doc.go).
func TestImportLayers(t *testing.T) {
	// forbidden[p] are the sts packages p must not import, directly or not.
	above := func(ps ...string) []string { return ps }
	forbidden := map[string][]string{
		"sts/xmlsafe":          above("sts", "sts/xmlsig", "sts/saml11", "sts/wsfed", "sts/metadata", "sts/saml2"),
		"sts/internal/xmltext": above("sts", "sts/xmlsig", "sts/saml11", "sts/wsfed", "sts/metadata", "sts/saml2", "sts/xmlsafe"),
		"sts/xmlsig":           above("sts", "sts/saml11", "sts/wsfed", "sts/metadata", "sts/saml2"),
		"sts/saml11":           above("sts", "sts/wsfed", "sts/metadata", "sts/saml2"),
		"sts/saml2":            above("sts", "sts/wsfed", "sts/metadata", "sts/saml11", "sts/adfsmeta", "sts/explain"),
		"sts/wsfed":            above("sts", "sts/metadata", "sts/saml2"),
		"sts/metadata":         above("sts"),
		"sts/adfsmeta":         above("sts"),
		"sts/explain":          above("sts"),
	}
	// only[p] are the claimgate packages p may depend on at all, directly
	// or not: the SAML 2.0 core builds on the signature layer, the XML
	// gate, claims and sts's internal helpers, nothing else.
	only := map[string][]string{
		"sts/saml2": {"sts/xmlsig", "sts/xmlsafe", "claims", "sts/internal/"},
	}
	for p, allowed := range only {
		deps := map[string]bool{}
		walk(t, p, deps)
		for d := range deps {
			rel, ok := strings.CutPrefix(d, module)
			if !ok {
				continue
			}
			if !slices.ContainsFunc(allowed, func(a string) bool { return rel == a || strings.HasSuffix(a, "/") && strings.HasPrefix(rel, a) }) {
				t.Errorf("%s imports %s; it may only import %s", p, rel, strings.Join(allowed, ", "))
			}
		}
	}
	pkgs := append([]string{"sts"}, keys(forbidden)...)
	for _, p := range pkgs {
		deps := map[string]bool{}
		walk(t, p, deps)
		if deps["net/http"] {
			t.Errorf("%s imports net/http (directly or through claimgate packages)", p)
		}
		for _, f := range forbidden[p] {
			if deps[module+f] {
				t.Errorf("%s imports %s, which sits above it", p, f)
			}
		}
	}
}

func keys(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// walk records the non-test imports of the claimgate package rel (a path
// inside the module) and, recursively, of the claimgate packages it
// imports. Imports outside the module are recorded but not followed.
func walk(t *testing.T, rel string, seen map[string]bool) {
	t.Helper()
	dir := filepath.Join("..", filepath.FromSlash(rel))
	p, err := build.ImportDir(dir, 0)
	if err != nil {
		if _, ok := err.(*build.NoGoError); ok {
			return
		}
		t.Fatalf("%s: %v", rel, err)
	}
	for _, imp := range p.Imports {
		if seen[imp] {
			continue
		}
		seen[imp] = true
		if strings.HasPrefix(imp, module) {
			walk(t, strings.TrimPrefix(imp, module), seen)
		}
	}
}
