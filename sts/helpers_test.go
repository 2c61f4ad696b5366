package sts

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"flag"
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts/internal/ststest"
	"github.com/claimgate/claimgate/sts/saml11"
	"github.com/claimgate/claimgate/sts/wsfed"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/golden")

// fixedNow is the test clock: the instant of the protocol notes' example.
var fixedNow = ststest.FixedNow()

const (
	testRealm    = ststest.Realm
	testReply    = ststest.Reply
	testEntityID = ststest.EntityID
	signingCert  = "testdata/keys/signing-cert.pem"
	otherCert    = "testdata/keys/other-cert.pem"
)

func testParties() wsfed.PartyList {
	return wsfed.PartyList{
		{Identifier: testRealm, ReplyURL: testReply},
		{Identifier: "http://legacy.example.com/adfs/services/trust", ReplyURL: "https://legacy.example.com/adfs/ls/", SignatureAlgorithm: xmlsig.AlgRSASHA1, TokenLifetime: 10 * time.Minute},
	}
}

// loadKeyPair reads a committed test key (PKCS#8) and its certificate.
func loadKeyPair(t testing.TB, name string) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	return ststest.LoadKeyPair(t, name)
}

func loadCert(t testing.TB, path string) *x509.Certificate {
	t.Helper()
	return ststest.LoadCert(t, path)
}

func readPEM(t testing.TB, path string) []byte {
	t.Helper()
	return ststest.ReadPEM(t, path)
}

// seqIDs returns deterministic NCName IDs: _00000000-0000-4000-8000-00000000000N.
func seqIDs() func() string { return ststest.SeqIDs() }

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

func testClaims() []claims.Claim { return ststest.Claims() }

func signInRequest(t testing.TB, realm string) *wsfed.Request {
	t.Helper()
	req, err := wsfed.ParseRequest(map[string][]string{"wa": {wsfed.WaSignIn}, "wtrealm": {realm}, "wctx": {"f29eb6a3-5cdf-479c-a7e9-ed6e60508465"}}, testParties())
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func testAuthn() saml11.Authn {
	return saml11.Authn{Method: claims.MultipleAuthn, Instant: fixedNow.Add(-20 * time.Second)}
}

func verifyOpts(t testing.TB) saml11.VerifyOptions {
	_, c := loadKeyPair(t, "signing")
	return saml11.VerifyOptions{TrustedCerts: []*x509.Certificate{c}, Audience: testRealm, Now: func() time.Time { return fixedNow }}
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	ststest.Golden(t, name, got, *update)
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
