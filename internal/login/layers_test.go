package login_test

import (
	"go/build"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/claimgate/claimgate/"

// TestStateMachineKnowsNoProtocol keeps the sign-in state machine
// protocol-neutral: package login imports no sts package (no WS-Fed, no
// SAML document), not even through another claimgate package, and no
// protocol adapter. Adapters (internal/login/wsfedflow) import login, never
// the other way round.
func TestStateMachineKnowsNoProtocol(t *testing.T) {
	deps := map[string]bool{}
	walk(t, "internal/login", deps)
	if !deps[module+"claims"] {
		t.Fatal("the walk found nothing: login imports claims") // the test itself must be able to see imports
	}
	for dep := range deps {
		if dep == module+"sts" || strings.HasPrefix(dep, module+"sts/") || strings.HasPrefix(dep, module+"internal/login/") {
			t.Errorf("internal/login imports %s, directly or through claimgate packages", dep)
		}
	}
}

// walk records the non-test imports of the claimgate package rel (a path
// inside the module) and, recursively, of the claimgate packages it
// imports.
func walk(t *testing.T, rel string, seen map[string]bool) {
	t.Helper()
	p, err := build.ImportDir(filepath.Join("..", "..", filepath.FromSlash(rel)), 0)
	if err != nil {
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
