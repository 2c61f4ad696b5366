package signer_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/internal/testutil"
)

// TestTagWithoutCgoDoesNotBuild: -tags openssl or -tags pkcs11 with
// CGO_ENABLED=0 stops the build with a message naming cgo. Before, the
// build succeeded and the binary lacked the signer its tag asked for.
func TestTagWithoutCgoDoesNotBuild(t *testing.T) {
	gobin := testutil.RequireTool(t, "go")
	for _, tag := range []string{"openssl", "pkcs11"} {
		cmd := exec.Command(gobin, "build", "-tags", tag, "-o", os.DevNull, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if want := "claimgate_tag_" + tag + "_needs_cgo_build_with_CGO_ENABLED_1"; err == nil || !strings.Contains(string(out), want) {
			t.Errorf("CGO_ENABLED=0 go build -tags %s: %v, want a failure naming %s:\n%s", tag, err, want, out)
		}
	}
}
