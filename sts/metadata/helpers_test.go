package metadata

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"flag"
	"testing"

	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/sts/internal/ststest"
)

var update = flag.Bool("update", false, "rewrite golden files in ../testdata/golden")

// fixedNow is the test clock: the instant of the protocol notes' example.
var fixedNow = ststest.FixedNow()

const (
	testEntityID     = ststest.EntityID
	xmlsecMetadataID = testutil.XMLSecMetadataID
)

var (
	signingCert = ststest.Path("keys/signing-cert.pem")
	otherCert   = ststest.Path("keys/other-cert.pem")
)

func loadKeyPair(t testing.TB, name string) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	return ststest.LoadKeyPair(t, name)
}

func certB64(t *testing.T, path string) string {
	t.Helper()
	return base64.StdEncoding.EncodeToString(ststest.ReadPEM(t, path))
}

// golden compares got with ../testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	ststest.Golden(t, name, got, *update)
}

func xmlsecVerify(t testing.TB, doc []byte, idAttr, certPEM string) (string, bool) {
	return testutil.XMLSecVerify(t, doc, idAttr, certPEM)
}

func xmllintValidate(t testing.TB, doc []byte, schema string) (string, bool) {
	t.Helper()
	return ststest.XMLLintValidate(t, doc, schema)
}
