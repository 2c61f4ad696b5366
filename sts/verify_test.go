package sts

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts/saml11"
	"github.com/claimgate/claimgate/sts/wsfed"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

func wantFault(t *testing.T, err error, f xmlsig.Fault) {
	t.Helper()
	var ve *xmlsig.VerifyError
	if !errors.As(err, &ve) || ve.Fault != f {
		t.Errorf("err = %v, want fault %s", err, f)
	}
}

func TestVerifyOwnTokenChecks(t *testing.T) {
	iss := newTestIssuer(t, "signing")
	wresult := []byte(issueTest(t, iss, testRealm, testClaims()).WResult)
	at := func(d time.Duration) saml11.VerifyOptions {
		o := verifyOpts(t)
		o.Now = func() time.Time { return fixedNow.Add(d) }
		return o
	}
	if _, err := wsfed.VerifyResult(wresult, at(0)); err != nil {
		t.Fatal(err)
	}
	_, err := wsfed.VerifyResult(wresult, at(-11*time.Minute)) // NotBefore is now-5m, skew 5m
	wantFault(t, err, xmlsig.FaultNotYetValid)
	if _, err := wsfed.VerifyResult(wresult, at(-9*time.Minute)); err != nil {
		t.Errorf("inside skew: %v", err)
	}
	_, err = wsfed.VerifyResult(wresult, at(65*time.Minute))
	wantFault(t, err, xmlsig.FaultExpired)
	if _, err := wsfed.VerifyResult(wresult, at(64*time.Minute)); err != nil {
		t.Errorf("inside skew: %v", err)
	}
	opts := at(0)
	opts.Audience = "http://other.example.com/adfs/services/trust"
	_, err = wsfed.VerifyResult(wresult, opts)
	wantFault(t, err, xmlsig.FaultAudience)
	// AppliesTo must duplicate the Audience.
	bad := bytes.Replace(wresult, []byte("<wsa:Address>"+testRealm), []byte("<wsa:Address>"+testRealm+"x"), 1)
	_, err = wsfed.VerifyResult(bad, at(0))
	wantFault(t, err, xmlsig.FaultAudience)
	// A certificate expired at verification time.
	opts = at(0)
	opts.Now = func() time.Time { return time.Date(2121, 1, 1, 0, 0, 0, 0, time.UTC) }
	_, err = wsfed.VerifyResult(wresult, opts)
	wantFault(t, err, xmlsig.FaultUntrustedKey)

	for name, tc := range map[string]struct {
		doc   []byte
		opts  saml11.VerifyOptions
		fault xmlsig.Fault
	}{
		"no trusted certs":  {wresult, saml11.VerifyOptions{Audience: testRealm}, xmlsig.FaultConfig},
		"no audience":       {wresult, saml11.VerifyOptions{TrustedCerts: at(0).TrustedCerts}, xmlsig.FaultConfig},
		"too large":         {append(wresult, make([]byte, saml11.MaxTokenSize)...), at(0), xmlsig.FaultTooLarge},
		"not XML":           {[]byte("<t:Req"), at(0), xmlsig.FaultMalformed},
		"bare assertion":    {extractAssertion(t, string(wresult)), at(0), xmlsig.FaultStructure},
		"RSTR collection":   {[]byte(`<t:RequestSecurityTokenResponseCollection xmlns:t="http://docs.oasis-open.org/ws-sx/ws-trust/200512"/>`), at(0), xmlsig.FaultStructure},
		"empty RST":         {[]byte(`<t:RequestSecurityTokenResponse xmlns:t="` + wsfed.NSTrust2005 + `"><t:RequestedSecurityToken/></t:RequestSecurityTokenResponse>`), at(0), xmlsig.FaultStructure},
		"signature removed": {stripSignature(t, wresult), at(0), xmlsig.FaultSignature},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := wsfed.VerifyResult(tc.doc, tc.opts)
			wantFault(t, err, tc.fault)
		})
	}
}

func stripSignature(t *testing.T, wresult []byte) []byte {
	s := string(wresult)
	i, j := strings.Index(s, "<ds:Signature"), strings.Index(s, "</ds:Signature>")
	if i < 0 || j < i {
		t.Fatal("no signature")
	}
	return []byte(s[:i] + s[j+len("</ds:Signature>"):])
}

// TestVerifyRejectsSignedBadShapes signs assertions that are valid
// signatures over invalid tokens: the verifier must still refuse them.
func TestVerifyRejectsSignedBadShapes(t *testing.T) {
	iss := newTestIssuer(t, "signing")
	base := saml11.AssertionInput{
		ID: "_00000000-0000-4000-8000-000000000009", Issuer: testEntityID, Audience: testRealm,
		IssueInstant: fixedNow, NotBefore: fixedNow.Add(-time.Minute), NotOnOrAfter: fixedNow.Add(time.Hour),
		Subject: saml11.Subject{NameID: "alice@corp.example"}, Claims: testClaims(), Authn: testAuthn(),
	}
	cases := map[string]struct {
		mutate func(t *testing.T, a *etree.Element)
		fault  xmlsig.Fault
	}{
		"subjects differ": {func(t *testing.T, a *etree.Element) {
			a.FindElement("AuthenticationStatement/Subject/NameIdentifier").SetText("mallory@corp.example")
		}, xmlsig.FaultSubjectMismatch},
		"two authentication statements": {func(t *testing.T, a *etree.Element) {
			a.AddChild(a.FindElement("AuthenticationStatement").Copy())
		}, xmlsig.FaultStructure},
		"no authentication statement": {func(t *testing.T, a *etree.Element) {
			a.RemoveChild(a.FindElement("AuthenticationStatement"))
		}, xmlsig.FaultStructure},
		"unknown condition": {func(t *testing.T, a *etree.Element) {
			a.FindElement("Conditions").CreateElement("saml:Condition")
		}, xmlsig.FaultStructure},
		"SAML 1.0": {func(t *testing.T, a *etree.Element) {
			a.CreateAttr("MinorVersion", "0")
		}, xmlsig.FaultStructure},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			el, err := saml11.BuildAssertion(base)
			if err != nil {
				t.Fatal(err)
			}
			tc.mutate(t, el)
			signed, err := iss.SignAssertion(el, "")
			if err != nil {
				t.Fatal(err)
			}
			if out, ok := xmlsecVerify(t, signed, xmlsecAssertionID, signingCert); !ok {
				t.Fatalf("test token should carry a valid signature:\n%s", out)
			}
			_, err = saml11.VerifyAssertion(signed, verifyOpts(t))
			wantFault(t, err, tc.fault)
			_, err = wsfed.VerifyResult(wsfed.BuildRSTR(signed, testRealm, base.NotBefore, base.NotOnOrAfter), verifyOpts(t))
			wantFault(t, err, tc.fault)
		})
	}
}

// TestVerifyNeedsTheExactCertificate: a certificate that only carries a
// trusted public key is not trusted. Otherwise whoever holds a key whose
// trusted certificate expired could mint a certificate with new dates (and
// any subject) and keep signing accepted tokens.
func TestVerifyNeedsTheExactCertificate(t *testing.T) {
	k, c := loadKeyPair(t, "signing")
	// A certificate for the same public key, valid far beyond the trusted
	// one, "signed" by an unrelated key.
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Totally Legit"},
		NotBefore: c.NotBefore, NotAfter: c.NotAfter.AddDate(100, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), other)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	later := c.NotAfter.Add(24 * time.Hour)
	iss, err := NewIssuer(IssuerConfig{EntityID: testEntityID, Signer: k, Certificate: forged, Now: func() time.Time { return later }})
	if err != nil {
		t.Fatal(err)
	}
	resp := issueTest(t, iss, testRealm, testClaims())
	_, err = wsfed.VerifyResult([]byte(resp.WResult), saml11.VerifyOptions{TrustedCerts: []*x509.Certificate{c}, Audience: testRealm,
		Now: func() time.Time { return later }})
	wantFault(t, err, xmlsig.FaultUntrustedKey)
}

// TestVerifyRefusesMissingKeyInfo: AD FS needs KeyInfo to find the trust
// (ID3276/371), so a token without one is refused here too.
func TestVerifyRefusesMissingKeyInfo(t *testing.T) {
	resp := issueTest(t, newTestIssuer(t, "signing"), testRealm, testClaims())
	doc := etree.NewDocument()
	if err := doc.ReadFromString(resp.WResult); err != nil {
		t.Fatal(err)
	}
	ki := doc.FindElement("//KeyInfo")
	if ki == nil {
		t.Fatal("no KeyInfo to remove")
	}
	ki.Parent().RemoveChild(ki)
	stripped, err := doc.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	_, err = wsfed.VerifyResult([]byte(stripped), verifyOpts(t))
	wantFault(t, err, xmlsig.FaultUntrustedKey)
}

// TestVerifyRefusesDoctype: a token never needs a DTD.
func TestVerifyRefusesDoctype(t *testing.T) {
	resp := issueTest(t, newTestIssuer(t, "signing"), testRealm, testClaims())
	_, err := wsfed.VerifyResult([]byte(`<!DOCTYPE x [<!ENTITY e "v">]>`+resp.WResult), verifyOpts(t))
	wantFault(t, err, xmlsig.FaultMalformed)
}

func FuzzVerifyWSFedResult(f *testing.F) {
	iss := newTestIssuer(f, "signing")
	req, err := wsfed.ParseRequest(map[string][]string{"wa": {wsfed.WaSignIn}, "wtrealm": {testRealm}}, testParties())
	if err != nil {
		f.Fatal(err)
	}
	resp, err := iss.IssueWSFed(req, saml11.Subject{NameID: "alice"}, []claims.Claim{{Type: claims.UPN, Values: []string{"a\r\nb&<"}}}, testAuthn())
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(resp.WResult))
	adfs, err := os.ReadFile("testdata/adfs/adfs-wresult-crlf.xml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(adfs)
	f.Add([]byte(`<t:RequestSecurityTokenResponse xmlns:t="` + wsfed.NSTrust2005 + `"><t:RequestedSecurityToken><saml:Assertion xmlns:saml="` + saml11.NSAssertion + `"/></t:RequestedSecurityToken></t:RequestSecurityTokenResponse>`))
	f.Add([]byte("<a xmlns:x='y'><x:b/></a>"))
	_, c := loadKeyPair(f, "signing")
	opts := saml11.VerifyOptions{TrustedCerts: []*x509.Certificate{c}, Audience: testRealm, IgnoreTime: true}
	f.Fuzz(func(t *testing.T, doc []byte) {
		tok, err := wsfed.VerifyResult(doc, opts)
		if err != nil {
			var ve *xmlsig.VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if tok.Audience != testRealm || tok.SigningCert == nil {
			t.Fatalf("accepted token %+v", tok)
		}
	})
}
