package config

import (
	"strings"
	"testing"
)

// TestBaseURLWithoutPath: claimgate serves every page, redirect and form
// at the root and its session cookie is __Host- (for the whole host), so
// a base_url below a path prefix would give metadata and an AD FS script
// naming URLs the sign-in then leaves (admin review F6). It is refused at
// its key; a trailing slash alone is no path.
func TestBaseURLWithoutPath(t *testing.T) {
	for _, u := range []string{"https://www.example.com/claimgate", "https://www.example.com/claimgate/", "https://www.example.com/a/b"} {
		_, err := Load(writeConfig(t, strings.Replace(minimal, "base_url: https://sts.example.com/\n", "base_url: "+u+"\n", 1)), envMap(nil))
		if ps := problemsOf(t, err); !hasProblem(ps, "base_url", "must not have a path") {
			t.Errorf("%s: %v", u, ps)
		}
	}
	if c := mustLoad(t, strings.Replace(minimal, "base_url: https://sts.example.com/\n", "base_url: https://sts.example.com/\n", 1), nil); c.BaseURL.String() != "https://sts.example.com" {
		t.Errorf("base_url %s", c.BaseURL)
	}
}
