package sts

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"

	"github.com/claimgate/claimgate/sts/saml11"
	"github.com/claimgate/claimgate/sts/wsfed"
)

// BenchmarkIssueWSFed and BenchmarkRSASign run side by side so the cost
// of the XML work (build, one exclusive C14N pass, serialize, wrap) is
// visible next to the one RSA-2048 signature every token needs;
// go run ./internal/tools/benchratio prints their ratio.
//
//	go test ./sts -run '^$' -bench 'IssueWSFed|RSASign|Assertion' -benchmem
func BenchmarkIssueWSFed(b *testing.B) {
	iss := newTestIssuer(b, "signing")
	req := signInRequest(b, testRealm)
	cl := testClaims()
	subj, authn := saml11.Subject{NameID: "alice@corp.example"}, testAuthn()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := iss.IssueWSFed(req, subj, cl, authn); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRSASign(b *testing.B) {
	k, _ := loadKeyPair(b, "signing")
	digest := sha256.Sum256([]byte("claimgate"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuildAssertion(b *testing.B) {
	in := saml11.AssertionInput{
		ID: "_00000000-0000-4000-8000-000000000001", Issuer: testEntityID, Audience: testRealm,
		IssueInstant: fixedNow, NotBefore: fixedNow.Add(-DefaultSkew), NotOnOrAfter: fixedNow.Add(DefaultLifetime),
		Subject: saml11.Subject{NameID: "alice@corp.example"}, Claims: testClaims(), Authn: testAuthn(),
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := saml11.BuildAssertion(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignAssertion(b *testing.B) {
	iss := newTestIssuer(b, "signing")
	el, err := saml11.BuildAssertion(saml11.AssertionInput{
		ID: "_00000000-0000-4000-8000-000000000001", Issuer: testEntityID, Audience: testRealm,
		IssueInstant: fixedNow, NotBefore: fixedNow.Add(-DefaultSkew), NotOnOrAfter: fixedNow.Add(DefaultLifetime),
		Subject: saml11.Subject{NameID: "alice@corp.example"}, Claims: testClaims(), Authn: testAuthn(),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := iss.SignAssertion(el, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyWSFedResult(b *testing.B) {
	iss := newTestIssuer(b, "signing")
	resp, err := iss.IssueWSFed(signInRequest(b, testRealm), saml11.Subject{NameID: "alice@corp.example"}, testClaims(), testAuthn())
	if err != nil {
		b.Fatal(err)
	}
	opts := verifyOpts(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wsfed.VerifyResult([]byte(resp.WResult), opts); err != nil {
			b.Fatal(err)
		}
	}
}
