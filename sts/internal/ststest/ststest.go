// Package ststest holds the fixtures the tests of sts and its document
// packages share: the committed test keys, the fixed clock and IDs, the
// test identity, golden-file comparison and xmllint against the schemas in
// sts/testdata. It is imported by tests only, and imports nothing of sts
// (so every package's internal tests can use it without an import cycle).
package ststest

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/testutil"
)

// The test relying party and our test entity ID.
const (
	Realm    = "http://adfs.example.com/adfs/services/trust"
	Reply    = "https://adfs.example.com/adfs/ls/"
	EntityID = "https://sts.acme.example/"
)

// FixedNow is the test clock: the instant of the protocol notes' example.
func FixedNow() time.Time { return time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC) }

// Path returns the absolute path of rel inside sts/testdata, wherever the
// test runs from.
func Path(rel string) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("ststest: no caller information")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", filepath.FromSlash(rel))
}

// LoadKeyPair reads a committed test key (PKCS#8) and its certificate:
// testdata/keys/<name>-key.pem and -cert.pem.
func LoadKeyPair(t testing.TB, name string) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	kb := ReadPEM(t, Path("keys/"+name+"-key.pem"))
	k, err := x509.ParsePKCS8PrivateKey(kb)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey), LoadCert(t, Path("keys/"+name+"-cert.pem"))
}

// LoadCert reads a PEM certificate file.
func LoadCert(t testing.TB, path string) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(ReadPEM(t, path))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ReadPEM returns the bytes of the first PEM block in path.
func ReadPEM(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	return blk.Bytes
}

// SeqIDs returns deterministic NCName IDs: _00000000-0000-4000-8000-00000000000N.
func SeqIDs() func() string {
	n := 0
	return func() string {
		n++
		return fmt.Sprintf("_00000000-0000-4000-8000-%012d", n)
	}
}

// Identity is the test user.
func Identity() claims.Identity {
	return claims.Identity{
		Username: "alice", UPN: "alice@corp.example", Domain: "CORP", DisplayName: "Alice Example",
		Email: "alice@corp.example", SID: "S-1-5-21-1244064708-1559740698-2793246312-1643",
		PrimaryGroupSID: "S-1-5-21-1244064708-1559740698-2793246312-513",
		GroupSIDs:       []string{"S-1-5-21-1244064708-1559740698-2793246312-513", "S-1-5-21-1244064708-1559740698-2793246312-1105"},
	}
}

// Claims are the test user's claims after two factors.
func Claims() []claims.Claim {
	return claims.Issue(Identity(), claims.Facts{SecondFactor: true, AuthnInstant: FixedNow().Add(-20 * time.Second)}, claims.DefaultTypes())
}

// Golden compares got with testdata/golden/name, or first rewrites it when
// update (the calling package's -update flag) is set.
func Golden(t *testing.T, name string, got []byte, update bool) {
	t.Helper()
	path := Path("golden/" + name)
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./sts ./sts/metadata -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file (run go test ./sts ./sts/metadata -update if the change is intended)\n got: %s\nwant: %s", name, got, want)
	}
}

// XMLLintValidate validates doc against a schema in testdata/schemas,
// offline: imports resolve through testdata/schemas/catalog.xml. It fails,
// never skips, when xmllint is missing.
func XMLLintValidate(t testing.TB, doc []byte, schema string) (string, bool) {
	t.Helper()
	bin := testutil.RequireTool(t, "xmllint")
	dir := Path("schemas")
	cmd := exec.Command(bin, "--noout", "--nonet", "--schema", filepath.Join(dir, schema), testutil.WriteTemp(t, "doc.xml", doc))
	cmd.Env = append(os.Environ(), "XML_CATALOG_FILES="+filepath.Join(dir, "catalog.xml"))
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}
