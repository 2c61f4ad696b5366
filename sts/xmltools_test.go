package sts

import (
	"testing"

	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/sts/internal/ststest"
)

// Helpers that run the independent XML tools (Debian xmlsec1 and
// libxml2-utils). They fail, never skip, when a tool is missing: the
// project's install script puts them on PATH.

const xmlsecAssertionID = testutil.XMLSecAssertionID

func xmlsecVerify(t testing.TB, doc []byte, idAttr, certPEM string) (string, bool) {
	return testutil.XMLSecVerify(t, doc, idAttr, certPEM)
}

// xmllintValidate validates doc against a schema in testdata/schemas,
// offline: imports resolve through testdata/schemas/catalog.xml.
func xmllintValidate(t testing.TB, doc []byte, schema string) (string, bool) {
	t.Helper()
	return ststest.XMLLintValidate(t, doc, schema)
}
