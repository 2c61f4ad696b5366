package saml11

import (
	"bytes"
	"crypto/x509"
	"os"
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/sts/internal/ststest"
	"github.com/claimgate/claimgate/sts/internal/xmltext"
)

// TestSignerMatchesGolden: the package on its own (BuildAssertion and
// NewSigner, no Issuer) produces exactly the committed golden assertions,
// and VerifyAssertion reads back what was put in. The golden files belong
// to sts's TestGoldenToken (regenerated there); this test only reads them.
func TestSignerMatchesGolden(t *testing.T) {
	now := ststest.FixedNow()
	k, c := ststest.LoadKeyPair(t, "signing")
	in := AssertionInput{
		ID: "_00000000-0000-4000-8000-000000000001", Issuer: ststest.EntityID, Audience: ststest.Realm,
		IssueInstant: now, NotBefore: now.Add(-5 * time.Minute), NotOnOrAfter: now.Add(60 * time.Minute),
		Subject: Subject{NameID: "alice@corp.example"}, Claims: ststest.Claims(),
		Authn: Authn{Method: claims.MultipleAuthn, Instant: now.Add(-20 * time.Second)},
	}
	el, err := BuildAssertion(in)
	if err != nil {
		t.Fatal(err)
	}
	unsigned, err := xmltext.Serialize(el.Copy())
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(k, c)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := s.Sign(el, "")
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{"assertion-unsigned.xml": unsigned, "assertion-signed.xml": signed} {
		want, err := os.ReadFile(ststest.Path("golden/" + name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden file\n got: %s\nwant: %s", name, got, want)
		}
	}
	if out, ok := testutil.XMLSecVerify(t, signed, testutil.XMLSecAssertionID, ststest.Path("keys/signing-cert.pem")); !ok {
		t.Errorf("xmlsec1 rejects the assertion:\n%s", out)
	}
	tok, err := VerifyAssertion(signed, VerifyOptions{TrustedCerts: []*x509.Certificate{c}, Audience: ststest.Realm, Now: ststest.FixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if tok.AssertionID != in.ID || tok.NameID != "alice@corp.example" || tok.AuthMethod != claims.MultipleAuthn ||
		!tok.NotOnOrAfter.Equal(in.NotOnOrAfter) || len(tok.Claims) != len(in.Claims) || tok.SigningCert != c {
		t.Errorf("token %+v", tok)
	}
}
