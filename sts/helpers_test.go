package sts

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/golden")

// fixedNow is the test clock: the instant of the protocol notes' example.
var fixedNow = time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)

const (
	testRealm    = "http://adfs.example.com/adfs/services/trust"
	testReply    = "https://adfs.example.com/adfs/ls/"
	testEntityID = "https://sts.acme.example/"
	signingCert  = "testdata/keys/signing-cert.pem"
	otherCert    = "testdata/keys/other-cert.pem"
)

func testParties() PartyList {
	return PartyList{
		{Identifier: testRealm, ReplyURL: testReply},
		{Identifier: "http://legacy.example.com/adfs/services/trust", ReplyURL: "https://legacy.example.com/adfs/ls/", SignatureAlgorithm: AlgRSASHA1, TokenLifetime: 10 * time.Minute},
	}
}

// loadKeyPair reads a committed test key (PKCS#8) and its certificate.
func loadKeyPair(t testing.TB, name string) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	kb := readPEM(t, "testdata/keys/"+name+"-key.pem")
	k, err := x509.ParsePKCS8PrivateKey(kb)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey), loadCert(t, "testdata/keys/"+name+"-cert.pem")
}

func loadCert(t testing.TB, path string) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(readPEM(t, path))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func readPEM(t testing.TB, path string) []byte {
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

// seqIDs returns deterministic NCName IDs: _00000000-0000-4000-8000-00000000000N.
func seqIDs() func() string {
	n := 0
	return func() string {
		n++
		return fmt.Sprintf("_00000000-0000-4000-8000-%012d", n)
	}
}

func newTestIssuer(t testing.TB, keyName string) *Issuer {
	t.Helper()
	k, c := loadKeyPair(t, keyName)
	iss, err := NewIssuer(IssuerConfig{
		EntityID: testEntityID, Signer: k, Certificate: c,
		Now: func() time.Time { return fixedNow }, NewID: seqIDs(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

func testIdentity() claims.Identity {
	return claims.Identity{
		Username: "alice", UPN: "alice@corp.example", Domain: "CORP", DisplayName: "Alice Example",
		Email: "alice@corp.example", SID: "S-1-5-21-1244064708-1559740698-2793246312-1643",
		PrimaryGroupSID: "S-1-5-21-1244064708-1559740698-2793246312-513",
		GroupSIDs:       []string{"S-1-5-21-1244064708-1559740698-2793246312-513", "S-1-5-21-1244064708-1559740698-2793246312-1105"},
	}
}

func testClaims() []claims.Claim {
	return claims.Issue(testIdentity(), claims.Facts{SecondFactor: true, AuthnInstant: fixedNow.Add(-20 * time.Second)}, claims.DefaultTypes())
}

func signInRequest(t testing.TB, realm string) *Request {
	t.Helper()
	req, err := ParseWSFed(map[string][]string{"wa": {WaSignIn}, "wtrealm": {realm}, "wctx": {"f29eb6a3-5cdf-479c-a7e9-ed6e60508465"}}, testParties())
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func testAuthn() Authn {
	return Authn{Method: claims.MultipleAuthn, Instant: fixedNow.Add(-20 * time.Second)}
}

func verifyOpts(t testing.TB) VerifyOptions {
	_, c := loadKeyPair(t, "signing")
	return VerifyOptions{TrustedCerts: []*x509.Certificate{c}, Audience: testRealm, Now: func() time.Time { return fixedNow }}
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./sts -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file (run go test ./sts -update if the change is intended)\n got: %s\nwant: %s", name, got, want)
	}
}
