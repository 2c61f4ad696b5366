package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// xmlsec1 --id-attr arguments for the documents claimgate signs.
const (
	XMLSecAssertionID = "--id-attr:AssertionID urn:oasis:names:tc:SAML:1.0:assertion:Assertion"
	XMLSecMetadataID  = "--id-attr:ID urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor"
)

// RequireTool returns the path of a command the tests need, failing (never
// skipping) when it is missing: scripts/install-deps.sh installs it.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not on PATH (run scripts/install-deps.sh or make test): %v", name, err)
	}
	return p
}

// WriteTemp writes data to a new file in a test temp dir.
func WriteTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// XMLSecVerify runs `xmlsec1 --verify <idAttr> --pubkey-cert-pem certPEM`
// on doc, an implementation independent of ours, and returns its output
// and whether the signature verified.
func XMLSecVerify(t testing.TB, doc []byte, idAttr, certPEM string) (string, bool) {
	t.Helper()
	bin := RequireTool(t, "xmlsec1")
	args := append([]string{"--verify"}, strings.Fields(idAttr)...)
	args = append(args, "--pubkey-cert-pem", certPEM, WriteTemp(t, "doc.xml", doc))
	out, err := exec.Command(bin, args...).CombinedOutput()
	return string(out), err == nil
}
