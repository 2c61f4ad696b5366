package sts

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/claimgate/claimgate/internal/testutil"
)

// Helpers that run the independent XML tools (Debian xmlsec1 and
// libxml2-utils). They fail, never skip, when a tool is missing: the
// project's install script puts them on PATH.

const (
	xmlsecAssertionID = testutil.XMLSecAssertionID
	xmlsecMetadataID  = testutil.XMLSecMetadataID
)

func requireTool(t testing.TB, name string) string { return testutil.RequireTool(t, name) }

func writeTemp(t testing.TB, name string, data []byte) string {
	return testutil.WriteTemp(t, name, data)
}

func xmlsecVerify(t testing.TB, doc []byte, idAttr, certPEM string) (string, bool) {
	return testutil.XMLSecVerify(t, doc, idAttr, certPEM)
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
