package wsfed

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/sts/internal/ststest"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

const (
	testRealm         = ststest.Realm
	testReply         = ststest.Reply
	xmlsecAssertionID = testutil.XMLSecAssertionID
)

var signingCert = ststest.Path("keys/signing-cert.pem")

func testParties() PartyList {
	return PartyList{
		{Identifier: testRealm, ReplyURL: testReply},
		{Identifier: "http://legacy.example.com/adfs/services/trust", ReplyURL: "https://legacy.example.com/adfs/ls/", SignatureAlgorithm: xmlsig.AlgRSASHA1, TokenLifetime: 10 * time.Minute},
	}
}

func loadCert(t testing.TB, path string) *x509.Certificate {
	t.Helper()
	return ststest.LoadCert(t, path)
}

func xmlsecVerify(t testing.TB, doc []byte, idAttr, certPEM string) (string, bool) {
	return testutil.XMLSecVerify(t, doc, idAttr, certPEM)
}
