package sts

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts/internal/xmltext"
	"github.com/claimgate/claimgate/sts/saml11"
	"github.com/claimgate/claimgate/sts/wsfed"
	"github.com/claimgate/claimgate/sts/xmlsafe"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

func issueTest(t *testing.T, iss *Issuer, realm string, cl []claims.Claim) *wsfed.Response {
	t.Helper()
	resp, err := iss.IssueWSFed(signInRequest(t, realm), saml11.Subject{NameID: "alice@corp.example"}, cl, testAuthn())
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// extractAssertion cuts the signed assertion's bytes out of a wresult.
func extractAssertion(t *testing.T, wresult string) []byte {
	t.Helper()
	i, j := strings.Index(wresult, "<saml:Assertion"), strings.Index(wresult, "</saml:Assertion>")
	if i < 0 || j < i {
		t.Fatalf("no assertion in %s", wresult)
	}
	return []byte(wresult[i : j+len("</saml:Assertion>")])
}

func TestGoldenToken(t *testing.T) {
	iss := newTestIssuer(t, "signing")
	in := saml11.AssertionInput{
		ID: "_00000000-0000-4000-8000-000000000001", Issuer: testEntityID, Audience: testRealm,
		IssueInstant: fixedNow, NotBefore: fixedNow.Add(-DefaultSkew), NotOnOrAfter: fixedNow.Add(DefaultLifetime),
		Subject: saml11.Subject{NameID: "alice@corp.example"}, Claims: testClaims(), Authn: testAuthn(),
	}
	el, err := saml11.BuildAssertion(in)
	if err != nil {
		t.Fatal(err)
	}
	unsigned, err := xmltext.Serialize(el.Copy())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "assertion-unsigned.xml", unsigned)
	signed, err := iss.SignAssertion(el, "")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "assertion-signed.xml", signed)

	resp := issueTest(t, iss, testRealm, testClaims())
	golden(t, "rstr.xml", []byte(resp.WResult))
	// The RSTR carries exactly the bytes SignAssertion produced: the
	// issuer with the same clock and ID signs the same assertion.
	if !strings.Contains(resp.WResult, string(signed)) {
		t.Error("signed assertion bytes were not spliced into the RSTR unchanged")
	}
	if resp.ReplyURL != testReply || resp.Wa != wsfed.WaSignIn || resp.WCtx != "f29eb6a3-5cdf-479c-a7e9-ed6e60508465" ||
		resp.AssertionID != in.ID || !resp.NotOnOrAfter.Equal(in.NotOnOrAfter) {
		t.Errorf("response fields: %+v", resp)
	}
}

// trickyClaims carry every character class that has broken XML signatures
// in practice: CR (normalized away by parsers unless escaped), LF, CRLF,
// markup characters, quotes, TAB and non-ASCII.
func trickyClaims() []claims.Claim {
	return append(testClaims(),
		claims.Claim{Type: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/streetaddress", Values: []string{
			"street\r\nVia Roggia Arzona 1", "cr\ronly", "lf\nonly", "a & b < c > d", `"double" 'single'`, "tab\there",
			"Müller ü", "日本語の名前", "  leading and trailing  ", "]]>", "&amp; literal",
		}},
		claims.Claim{Type: "http://example.test/claims/ü&<\"'>", Values: []string{"type with markup"}},
	)
}

func TestTokenVerifiesWithXMLSecAndGo(t *testing.T) {
	cases := []struct {
		name, realm string
		claims      []claims.Claim
		wantAlg     string
	}{
		{"default claims rsa-sha256", testRealm, testClaims(), "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"},
		{"tricky values", testRealm, trickyClaims(), "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"},
		{"legacy party rsa-sha1", "http://legacy.example.com/adfs/services/trust", trickyClaims(), "http://www.w3.org/2000/09/xmldsig#rsa-sha1"},
		{"no claims", testRealm, nil, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := issueTest(t, newTestIssuer(t, "signing"), tc.realm, tc.claims)
			for name, doc := range map[string][]byte{"wresult": []byte(resp.WResult), "assertion": extractAssertion(t, resp.WResult)} {
				if out, ok := xmlsecVerify(t, doc, xmlsecAssertionID, signingCert); !ok {
					t.Errorf("xmlsec1 rejects the %s:\n%s", name, out)
				}
			}
			opts := verifyOpts(t)
			opts.Audience = tc.realm
			if tc.wantAlg == xmlsig.SigRSASHA1 {
				// Refused by default: SHA-1 only for a party configured for it.
				if _, err := wsfed.VerifyResult([]byte(resp.WResult), opts); err == nil {
					t.Fatal("an rsa-sha1 token passed the default (SHA-256 only) policy")
				}
				opts.SignatureAlgorithms = []string{xmlsig.SigRSASHA1}
			}
			tok, err := wsfed.VerifyResult([]byte(resp.WResult), opts)
			if err != nil {
				t.Fatal(err)
			}
			if tok.SignatureAlgorithm != tc.wantAlg {
				t.Errorf("signature algorithm %s, want %s", tok.SignatureAlgorithm, tc.wantAlg)
			}
			if !claimsEqual(tok.Claims, tc.claims) {
				t.Errorf("claims did not survive the round trip:\n got %q\nwant %q", tok.Claims, tc.claims)
			}
			if _, err := saml11.VerifyAssertion(extractAssertion(t, resp.WResult), opts); err != nil {
				t.Errorf("bare assertion: %v", err)
			}
		})
	}
}

func claimsEqual(a, b []claims.Claim) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Type != b[i].Type || strings.Join(a[i].Values, "\x00") != strings.Join(b[i].Values, "\x00") {
			return false
		}
	}
	return true
}

func TestTamperedTokenFails(t *testing.T) {
	good := issueTest(t, newTestIssuer(t, "signing"), testRealm, trickyClaims()).WResult
	const from, to = "S-1-5-21-1244064708-1559740698-2793246312-1643", "S-1-5-21-1244064708-1559740698-2793246312-500"
	if !strings.Contains(good, from) {
		t.Fatal("test value not in token")
	}
	otherKey := issueTest(t, newTestIssuer(t, "other"), testRealm, trickyClaims()).WResult
	// A token signed by another key but carrying our certificate in KeyInfo.
	otherCertB64 := certB64(t, otherCert)
	swapped := strings.Replace(otherKey, otherCertB64, certB64(t, signingCert), 1)
	if swapped == otherKey {
		t.Fatal("KeyInfo certificate not found")
	}
	cases := []struct {
		name, doc string
		fault     xmlsig.Fault
	}{
		{"changed claim value", strings.Replace(good, from, to, 1), xmlsig.FaultSignature},
		{"CR unescaped (as a naive re-serializer would write it)", strings.Replace(good, "&#xD;", "\r", 1), xmlsig.FaultSignature},
		{"signed with another key", otherKey, xmlsig.FaultUntrustedKey},
		{"another key, our certificate in KeyInfo", swapped, xmlsig.FaultSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if out, ok := xmlsecVerify(t, []byte(tc.doc), xmlsecAssertionID, signingCert); ok {
				t.Errorf("xmlsec1 accepts a tampered token:\n%s", out)
			}
			_, err := wsfed.VerifyResult([]byte(tc.doc), verifyOpts(t))
			var ve *xmlsig.VerifyError
			if !errors.As(err, &ve) || ve.Fault != tc.fault {
				t.Errorf("VerifyResult = %v, want fault %s", err, tc.fault)
			}
		})
	}
}

func certB64(t *testing.T, path string) string {
	t.Helper()
	return base64Std(readPEM(t, path))
}

func TestAssertionSchema(t *testing.T) {
	a := extractAssertion(t, issueTest(t, newTestIssuer(t, "signing"), testRealm, trickyClaims()).WResult)
	if out, ok := xmllintValidate(t, a, "oasis-sstc-saml-schema-assertion-1.1.xsd"); !ok {
		t.Errorf("signed assertion is not schema-valid:\n%s", out)
	}
	// The check bites: an element out of place fails it.
	bad := bytes.Replace(a, []byte("<saml:AttributeStatement>"), []byte("<saml:AttributeStatement><saml:Audience>x</saml:Audience>"), 1)
	if out, ok := xmllintValidate(t, bad, "oasis-sstc-saml-schema-assertion-1.1.xsd"); ok || !strings.Contains(out, "Audience': This element is not expected") {
		t.Errorf("want a validity error on the misplaced Audience, got ok=%v:\n%s", ok, out)
	}
}

// TestRSTRStructure checks the WS-Trust wrapper in Go: no WS-Trust schema
// is available offline.
func TestRSTRStructure(t *testing.T) {
	resp := issueTest(t, newTestIssuer(t, "signing"), testRealm, testClaims())
	doc := etree.NewDocument()
	if err := doc.ReadFromString(resp.WResult); err != nil {
		t.Fatal(err)
	}
	root := doc.Root()
	if !xmlsafe.Is(root, wsfed.NSTrust2005, "RequestSecurityTokenResponse") {
		t.Fatalf("root %s in %s", root.Tag, root.NamespaceURI())
	}
	want := []struct{ ns, tag, text string }{
		{wsfed.NSTrust2005, "Lifetime", ""},
		{wsfed.NSPolicy, "AppliesTo", ""},
		{wsfed.NSTrust2005, "RequestedSecurityToken", ""},
		{wsfed.NSTrust2005, "TokenType", "urn:oasis:names:tc:SAML:1.0:assertion"},
		{wsfed.NSTrust2005, "RequestType", "http://schemas.xmlsoap.org/ws/2005/02/trust/Issue"},
		{wsfed.NSTrust2005, "KeyType", "http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey"},
	}
	kids := root.ChildElements()
	if len(kids) != len(want) {
		t.Fatalf("%d children, want %d", len(kids), len(want))
	}
	for i, w := range want {
		if !xmlsafe.Is(kids[i], w.ns, w.tag) || kids[i].Text() != w.text {
			t.Errorf("child %d = {%s}%s %q, want {%s}%s %q", i, kids[i].NamespaceURI(), kids[i].Tag, kids[i].Text(), w.ns, w.tag, w.text)
		}
	}
	lt := kids[0].ChildElements()
	if len(lt) != 2 || !xmlsafe.Is(lt[0], wsfed.NSWSUtility, "Created") || lt[0].Text() != "2025-05-01T09:55:00.000Z" ||
		!xmlsafe.Is(lt[1], wsfed.NSWSUtility, "Expires") || lt[1].Text() != "2025-05-01T11:00:00.000Z" {
		t.Errorf("Lifetime wrong: %v", lt)
	}
	addr := kids[1].FindElement("EndpointReference/Address")
	if addr == nil || addr.NamespaceURI() != wsfed.NSAddressing || addr.Text() != testRealm {
		t.Errorf("AppliesTo address wrong")
	}
	tok := kids[2].ChildElements()
	if len(tok) != 1 || !xmlsafe.Is(tok[0], saml11.NSAssertion, "Assertion") {
		t.Fatalf("RequestedSecurityToken does not hold exactly one SAML 1.1 assertion")
	}
	if strings.Contains(resp.WResult, "RequestSecurityTokenResponseCollection") || strings.Contains(resp.WResult, "<?xml") {
		t.Error("wresult must be a bare 2005/02 RSTR")
	}
}

// TestAssertionContent pins the rules of protocol notes §3 in Go.
func TestAssertionContent(t *testing.T) {
	resp := issueTest(t, newTestIssuer(t, "signing"), "http://legacy.example.com/adfs/services/trust", testClaims())
	tok, err := wsfed.VerifyResult([]byte(resp.WResult), saml11.VerifyOptions{TrustedCerts: verifyOpts(t).TrustedCerts,
		Audience: "http://legacy.example.com/adfs/services/trust", IgnoreTime: true, SignatureAlgorithms: []string{xmlsig.SigRSASHA1}})
	if err != nil {
		t.Fatal(err)
	}
	if !tok.NotBefore.Equal(fixedNow.Add(-5*time.Minute)) || !tok.NotOnOrAfter.Equal(fixedNow.Add(10*time.Minute)) || !tok.IssueInstant.Equal(fixedNow) {
		t.Errorf("times %s %s %s: want skew 5m and the party's 10m lifetime", tok.IssueInstant, tok.NotBefore, tok.NotOnOrAfter)
	}
	if tok.Issuer != testEntityID || tok.AuthMethod != claims.MultipleAuthn || tok.NameIDFormat != saml11.NameIDUnspecified {
		t.Errorf("token %+v", tok)
	}
	a := extractAssertion(t, resp.WResult)
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(a); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, c := range doc.Root().ChildElements() {
		order = append(order, c.Tag)
	}
	if got := strings.Join(order, ","); got != "Conditions,AttributeStatement,AuthenticationStatement,Signature" {
		t.Errorf("assertion children %s", got)
	}
	subj := doc.FindElements("//Subject")
	if len(subj) != 2 {
		t.Fatalf("%d subjects", len(subj))
	}
	s0, _ := serializeCopy(subj[0])
	s1, _ := serializeCopy(subj[1])
	if s0 != s1 {
		t.Errorf("subjects differ:\n%s\n%s", s0, s1)
	}
	groups := doc.FindElement(`//Attribute[@AttributeName='groupsid']`)
	if groups == nil || groups.SelectAttrValue("AttributeNamespace", "") != "http://schemas.microsoft.com/ws/2008/06/identity/claims" || len(groups.ChildElements()) != 2 {
		t.Error("groupsid must be split at the last '/' with one AttributeValue per SID")
	}
	if x := doc.FindElement("//NameQualifier"); x != nil || strings.Contains(string(a), "NameQualifier") || strings.Contains(string(a), "SubjectLocality") {
		t.Error("forbidden NameQualifier/SubjectLocality present")
	}
}

func serializeCopy(el *etree.Element) (string, error) {
	b, err := xmltext.Serialize(el.Copy())
	return string(b), err
}

func TestIssueRejectsBadInput(t *testing.T) {
	iss := newTestIssuer(t, "signing")
	req := signInRequest(t, testRealm)
	for name, v := range map[string]string{
		"NUL": "a\x00b", "vertical tab": "a\vb", "U+FFFE": "a\uFFFEb", "invalid UTF-8": "a\xffb", "lone surrogate bytes": "a\xed\xa0\x80b",
	} {
		_, err := iss.IssueWSFed(req, saml11.Subject{NameID: "alice"}, []claims.Claim{{Type: claims.UPN, Values: []string{v}}}, testAuthn())
		if !errors.Is(err, ErrInvalidXMLText) {
			t.Errorf("%s: err = %v, want ErrInvalidXMLText", name, err)
		}
	}
	cases := map[string]func() error{
		"claim type without slash": func() error {
			_, err := iss.IssueWSFed(req, saml11.Subject{NameID: "a"}, []claims.Claim{{Type: "upn", Values: []string{"x"}}}, testAuthn())
			return err
		},
		"empty name ID": func() error { _, err := iss.IssueWSFed(req, saml11.Subject{}, nil, testAuthn()); return err },
		"empty method": func() error {
			_, err := iss.IssueWSFed(req, saml11.Subject{NameID: "a"}, nil, saml11.Authn{})
			return err
		},
		"sign-out request": func() error {
			_, err := iss.IssueWSFed(&wsfed.Request{Action: wsfed.ActionSignOut}, saml11.Subject{NameID: "a"}, nil, testAuthn())
			return err
		},
		"unknown algorithm": func() error {
			r := *req
			p := *r.Party
			p.SignatureAlgorithm = "rsa-md5"
			r.Party = &p
			_, err := iss.IssueWSFed(&r, saml11.Subject{NameID: "a"}, nil, testAuthn())
			return err
		},
	}
	for name, f := range cases {
		if f() == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestNewIssuerChecksConfig(t *testing.T) {
	k, c := loadKeyPair(t, "signing")
	_, oc := loadKeyPair(t, "other")
	for name, cfg := range map[string]IssuerConfig{
		"no entity ID":       {Signer: k, Certificate: c},
		"no signer":          {EntityID: testEntityID, Certificate: c},
		"no certificate":     {EntityID: testEntityID, Signer: k},
		"key/cert mismatch":  {EntityID: testEntityID, Signer: k, Certificate: oc},
		"negative lifetime":  {EntityID: testEntityID, Signer: k, Certificate: c, Lifetime: -time.Minute},
		"control char in ID": {EntityID: "https://x/\x01", Signer: k, Certificate: c},
	} {
		if _, err := NewIssuer(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	iss, err := NewIssuer(IssuerConfig{EntityID: testEntityID, Signer: k, Certificate: c})
	if err != nil {
		t.Fatal(err)
	}
	// Defaults: real clock, "_" + UUID v4 IDs, 60 min, 5 min.
	resp, err := iss.IssueWSFed(signInRequest(t, testRealm), saml11.Subject{NameID: "a"}, nil, saml11.Authn{Method: claims.SAMLPassword})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.AssertionID) != 37 || resp.AssertionID[0] != '_' || resp.AssertionID[15] != '4' {
		t.Errorf("default ID %q is not _+UUIDv4", resp.AssertionID)
	}
	opts := verifyOpts(t)
	opts.Now = nil
	if _, err := wsfed.VerifyResult([]byte(resp.WResult), opts); err != nil {
		t.Errorf("token issued with the real clock does not verify now: %v", err)
	}
}
