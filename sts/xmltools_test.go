package sts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Helpers that run the independent XML tools (Debian xmlsec1 and
// libxml2-utils). They fail, never skip, when a tool is missing: the
// project's install script puts them on PATH.

const (
	xmlsecAssertionID = "--id-attr:AssertionID urn:oasis:names:tc:SAML:1.0:assertion:Assertion"
	xmlsecMetadataID  = "--id-attr:ID urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor"
)

func requireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not on PATH (install xmlsec1 and libxml2-utils): %v", name, err)
	}
	return p
}

func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// xmlsecVerify runs `xmlsec1 --verify <idAttr> --pubkey-cert-pem certPEM`
// on doc and returns its combined output and whether it verified.
func xmlsecVerify(t testing.TB, doc []byte, idAttr, certPEM string) (string, bool) {
	t.Helper()
	bin := requireTool(t, "xmlsec1")
	args := append([]string{"--verify"}, strings.Fields(idAttr)...)
	args = append(args, "--pubkey-cert-pem", certPEM, writeTemp(t, "doc.xml", doc))
	out, err := exec.Command(bin, args...).CombinedOutput()
	return string(out), err == nil
}

// xmllintValidate validates doc against a schema in testdata/schemas,
// offline: imports resolve through testdata/schemas/catalog.xml.
func xmllintValidate(t testing.TB, doc []byte, schema string) (string, bool) {
	t.Helper()
	bin := requireTool(t, "xmllint")
	dir, err := filepath.Abs(filepath.Join("testdata", "schemas"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--noout", "--nonet", "--schema", filepath.Join(dir, schema), writeTemp(t, "doc.xml", doc))
	cmd.Env = append(os.Environ(), "XML_CATALOG_FILES="+filepath.Join(dir, "catalog.xml"))
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}
