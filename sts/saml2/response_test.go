package saml2

import (
	"bytes"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts/internal/ststest"
	"github.com/claimgate/claimgate/sts/xmlsafe"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

const protocolSchema = "saml-schema-protocol-2.0.xsd"

func testInput(r *AuthnRequest) ResponseInput {
	id := ststest.Identity()
	return ResponseInput{
		Request: r,
		Subject: Subject{NameID: claims.NameID(id), Email: id.Email, StableID: id.SID},
		Claims:  ststest.Claims(),
		Authn:   Authn{Instant: fixedNow().Add(-20 * time.Second), SecondFactor: true},
	}
}

// TestResponseGolden: the Response to AD FS's request, byte for byte, and
// proved correct by others: xmlsec1 verifies the assertion's signature
// (and the Response's, when signed), xmllint validates both against the
// OASIS protocol schema, and our own verifier, behind the untrusted-XML
// gate, reads back what was put in.
func TestResponseGolden(t *testing.T) {
	for _, tc := range []struct {
		golden       string
		signResponse bool
	}{
		{"response-signed-assertion.xml", false},
		{"response-signed-both.xml", true},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			req := parseADFSRequest(t)
			req.SP.SignResponse = tc.signResponse
			resp, err := testIdP(t).Respond(testInput(req))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.golden, resp.XML)
			if resp.Destination != spACS || resp.RelayState != relayState || resp.NameID != "alice@corp.example" || resp.NameIDFormat != NameIDUnspecified {
				t.Errorf("response %+v", resp)
			}
			if out, ok := xmlsecVerify(t, resp.XML, xmlsecAssertion+" "+xmlsecResponse, xpathAssertionSig); !ok {
				t.Errorf("xmlsec1 rejects the assertion signature:\n%s", out)
			}
			if out, ok := xmlsecVerify(t, resp.XML, xmlsecAssertion+" "+xmlsecResponse, xpathMessageSig); ok != tc.signResponse {
				t.Errorf("xmlsec1 on the Response signature: ok=%v, want %v:\n%s", ok, tc.signResponse, out)
			}
			if out, ok := ststest.XMLLintValidate(t, resp.XML, protocolSchema); !ok {
				t.Errorf("not schema-valid:\n%s", out)
			}
			checkOwnVerify(t, resp)
			// Changing one signed byte breaks the signature for xmlsec1 too.
			bad := bytes.Replace(resp.XML, []byte("alice@corp.example</saml:NameID>"), []byte("admin@corp.example</saml:NameID>"), 1)
			if bytes.Equal(bad, resp.XML) {
				t.Fatal("tamper target not found")
			}
			if out, ok := xmlsecVerify(t, bad, xmlsecAssertion+" "+xmlsecResponse, xpathAssertionSig); ok {
				t.Errorf("xmlsec1 accepts a changed NameID:\n%s", out)
			}
		})
	}
}

// checkOwnVerify reads the Response through the gate and verifies the
// assertion with xmlsig, then checks what the signature covers.
func checkOwnVerify(t *testing.T, resp *Response) {
	t.Helper()
	_, cert := ststest.LoadKeyPair(t, "signing")
	root, err := xmlsig.ReadUntrusted(resp.XML, 0)
	if err != nil {
		t.Fatalf("the gate refuses our own Response: %v", err)
	}
	kids := root.ChildElements()
	tags := []string{}
	for _, k := range kids {
		tags = append(tags, k.Tag)
	}
	want := "Issuer,Status,Assertion"
	if xmlsafe.Child(root, xmlsafe.NSDSig, "Signature") != nil {
		want = "Issuer,Signature,Status,Assertion"
		if _, err := xmlsig.Verify(root, layout("response"), xmlsig.Trust{Certs: []*x509.Certificate{cert}, Now: fixedNow}); err != nil {
			t.Errorf("Response signature: %v", err)
		}
	}
	if got := strings.Join(tags, ","); got != want {
		t.Errorf("Response children %s, want %s", got, want)
	}
	a, err := xmlsafe.Detach(xmlsafe.Child(root, NSAssertion, "Assertion"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := xmlsig.Verify(a, layout("assertion"), xmlsig.Trust{Certs: []*x509.Certificate{cert}, Now: fixedNow})
	if err != nil {
		t.Fatalf("assertion signature: %v", err)
	}
	// The signature sits right after Issuer; what it covers is the rest.
	for el, want := range map[*etree.Element]string{
		a:         "Issuer,Signature,Subject,Conditions,AttributeStatement,AuthnStatement",
		v.Element: "Issuer,Subject,Conditions,AttributeStatement,AuthnStatement",
	} {
		tags = tags[:0]
		for _, k := range el.ChildElements() {
			tags = append(tags, k.Tag)
		}
		if got := strings.Join(tags, ","); got != want {
			t.Errorf("assertion children %s, want %s", got, want)
		}
	}
	el := v.Element
	for path, want := range map[string]string{
		"Subject/NameID": resp.NameID,
		"Subject/SubjectConfirmation/SubjectConfirmationData/@InResponseTo": requestID,
		"Subject/SubjectConfirmation/SubjectConfirmationData/@Recipient":    spACS,
		"Subject/SubjectConfirmation/SubjectConfirmationData/@NotOnOrAfter": "2025-05-01T10:05:00.000Z",
		"Subject/SubjectConfirmation/@Method":                               ConfirmationBearer,
		"Conditions/@NotBefore":                                             "2025-05-01T09:55:00.000Z",
		"Conditions/@NotOnOrAfter":                                          "2025-05-01T11:00:00.000Z",
		"Conditions/AudienceRestriction/Audience":                           spEntityID,
		"AuthnStatement/@AuthnInstant":                                      "2025-05-01T09:59:40.000Z",
		"AuthnStatement/AuthnContext/AuthnContextClassRef":                  ClassMultipleAuthn,
	} {
		if got := value(el, path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	attrs := el.FindElements("AttributeStatement/Attribute")
	if len(attrs) != len(ststest.Claims()) {
		t.Fatalf("%d attributes, want %d", len(attrs), len(ststest.Claims()))
	}
	for i, c := range ststest.Claims() {
		if attrs[i].SelectAttrValue("Name", "") != c.Type || attrs[i].SelectAttrValue("NameFormat", "") != AttrNameFormatURI ||
			len(attrs[i].SelectElements("AttributeValue")) != len(c.Values) {
			t.Errorf("attribute %d: %v", i, attrs[i].Attr)
		}
	}
}

// value reads an element's text or, with a final /@name, an attribute.
func value(el *etree.Element, path string) string {
	p, attr, isAttr := strings.Cut(path, "/@")
	if !isAttr {
		if e := el.FindElement(path); e != nil {
			return e.Text()
		}
		return "<missing>"
	}
	if strings.HasPrefix(path, "@") {
		return el.SelectAttrValue(path[1:], "<missing>")
	}
	if e := el.FindElement(p); e != nil {
		return e.SelectAttrValue(attr, "<missing>")
	}
	return "<missing>"
}

// TestErrorResponseGolden: a refusal with a known ACS becomes a signed,
// schema-valid error Response with both status levels and the fixed
// message, no assertion and nothing of the detail.
func TestErrorResponseGolden(t *testing.T) {
	req := parseADFSRequest(t)
	se := NewStatusError(req, StatusResponder, StatusNoPassive, "no session for %s", "alice@corp.example")
	resp, err := testIdP(t).ErrorResponse(se)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "response-error.xml", resp.XML)
	if out, ok := xmlsecVerify(t, resp.XML, xmlsecResponse, ""); !ok {
		t.Errorf("xmlsec1 rejects the error Response:\n%s", out)
	}
	if out, ok := ststest.XMLLintValidate(t, resp.XML, protocolSchema); !ok {
		t.Errorf("not schema-valid:\n%s", out)
	}
	s := string(resp.XML)
	if !strings.Contains(s, `<samlp:StatusCode Value="`+StatusResponder+`"><samlp:StatusCode Value="`+StatusNoPassive+`"></samlp:StatusCode></samlp:StatusCode>`) ||
		strings.Contains(s, "Assertion") || strings.Contains(s, "alice") || resp.Destination != spACS || resp.RelayState != relayState {
		t.Errorf("error response %s", s)
	}
	for name, bad := range map[string]*StatusError{
		"no request": NewStatusError(nil, StatusRequester, "", "x"),
		"success":    NewStatusError(req, StatusSuccess, "", "x"),
		"nil":        nil,
	} {
		if _, err := testIdP(t).ErrorResponse(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestRespondRefusals: a sign-in that does not satisfy the request is a
// status error the caller can answer with ErrorResponse.
func TestRespondRefusals(t *testing.T) {
	mfa := &RequestedAuthnContext{Comparison: ComparisonExact, ClassRefs: []string{ClassMultipleAuthn}}
	for name, tc := range map[string]struct {
		mut func(*ResponseInput)
		sub string
	}{
		"MFA asked, one factor": {func(in *ResponseInput) { in.Request.RequestedAuthnContext, in.Authn.SecondFactor = mfa, false }, StatusNoAuthnContext},
		"email, none known":     {func(in *ResponseInput) { in.Request.NameIDFormat, in.Subject.Email = NameIDEmailAddress, "" }, StatusInvalidNameIDPolicy},
		"persistent, no SID":    {func(in *ResponseInput) { in.Request.NameIDFormat, in.Subject.StableID = NameIDPersistent, "" }, StatusInvalidNameIDPolicy},
		"unspecified, no name":  {func(in *ResponseInput) { in.Subject.NameID = "" }, StatusInvalidNameIDPolicy},
	} {
		in := testInput(parseADFSRequest(t))
		tc.mut(&in)
		_, err := testIdP(t).Respond(in)
		var se *StatusError
		if !errors.As(err, &se) || se.Code != StatusResponder || se.SubCode != tc.sub || se.Request != in.Request {
			t.Errorf("%s: %v", name, err)
		}
	}
	in := testInput(parseADFSRequest(t))
	in.Claims = []claims.Claim{{Type: claims.UPN, Values: []string{"bad\x01value"}}}
	if _, err := testIdP(t).Respond(in); err == nil {
		t.Error("a control character in a claim was signed")
	}
	if _, err := testIdP(t).Respond(ResponseInput{}); err == nil {
		t.Error("no request accepted")
	}
}

// TestNameIDs: persistent IDs are stable per SP and differ between SPs
// and users; transient ones are fresh each time.
func TestNameIDs(t *testing.T) {
	p := testIdP(t)
	issue := func(format, spID, sid string) (*Response, error) {
		in := testInput(parseADFSRequest(t))
		in.Request.NameIDFormat, in.Request.SP.EntityID, in.Subject.StableID = format, spID, sid
		return p.Respond(in)
	}
	a1, err := issue(NameIDPersistent, spEntityID, "S-1-5-21-1")
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := issue(NameIDPersistent, spEntityID, "S-1-5-21-1")
	other, _ := issue(NameIDPersistent, "https://shib.example/sp", "S-1-5-21-1")
	bob, _ := issue(NameIDPersistent, spEntityID, "S-1-5-21-2")
	if a1.NameID != a2.NameID || a1.NameID == other.NameID || a1.NameID == bob.NameID || strings.Contains(a1.NameID, "S-1-5") {
		t.Errorf("persistent: %q %q %q %q", a1.NameID, a2.NameID, other.NameID, bob.NameID)
	}
	if !strings.Contains(string(a1.XML), `NameQualifier="`+ststest.EntityID+`" SPNameQualifier="`+spEntityID+`"`) {
		t.Error("persistent NameID without its qualifiers")
	}
	t1, _ := issue(NameIDTransient, spEntityID, "")
	t2, _ := issue(NameIDTransient, spEntityID, "")
	if t1 == nil || t2 == nil || t1.NameID == t2.NameID || len(t1.NameID) != 33 {
		t.Errorf("transient: %v %v", t1, t2)
	}
	e, err := issue(NameIDEmailAddress, spEntityID, "")
	if err != nil || e.NameID != "alice@corp.example" || e.NameIDFormat != NameIDEmailAddress {
		t.Errorf("email: %v %+v", err, e)
	}
	k, c := ststest.LoadKeyPair(t, "signing")
	noKey, err := NewIdP(IdPConfig{EntityID: ststest.EntityID, Signer: k, Certificate: c, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	in := testInput(parseADFSRequest(t))
	in.Request.NameIDFormat = NameIDPersistent
	if _, err := noKey.Respond(in); err == nil {
		t.Error("persistent NameID issued without a key")
	}
}

func TestNewIdPRefuses(t *testing.T) {
	k, c := ststest.LoadKeyPair(t, "signing")
	_, other := ststest.LoadKeyPair(t, "other")
	ok := IdPConfig{EntityID: ststest.EntityID, Signer: k, Certificate: c}
	for name, mut := range map[string]func(*IdPConfig){
		"no entity ID":      func(c *IdPConfig) { c.EntityID = "" },
		"key mismatch":      func(c *IdPConfig) { c.Certificate = other },
		"short key":         func(c *IdPConfig) { c.PersistentKey = []byte("short") },
		"negative lifetime": func(c *IdPConfig) { c.Lifetime = -time.Second },
	} {
		cfg := ok
		mut(&cfg)
		if _, err := NewIdP(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	cfg := ok
	cfg.NewID = func() string { return "1-starts-with-a-digit" }
	p, err := NewIdP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Respond(testInput(parseADFSRequest(t))); err == nil {
		t.Error("a non-NCName ID was used")
	}
}

// BenchmarkResponse: one Response with a signed assertion for the test
// user, as the sign-in flow makes it.
func BenchmarkResponse(b *testing.B) {
	k, c := ststest.LoadKeyPair(b, "signing")
	p, err := NewIdP(IdPConfig{EntityID: ststest.EntityID, Signer: k, Certificate: c, Now: fixedNow, PersistentKey: persistentKey})
	if err != nil {
		b.Fatal(err)
	}
	in := testInput(parseADFSRequest(b))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Respond(in); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRespondConcurrent: one IdP serves concurrent sign-ins (run with
// -race); each answer verifies.
func TestRespondConcurrent(t *testing.T) {
	k, c := ststest.LoadKeyPair(t, "signing")
	p, err := NewIdP(IdPConfig{EntityID: ststest.EntityID, Signer: k, Certificate: c, Now: fixedNow, PersistentKey: persistentKey})
	if err != nil {
		t.Fatal(err)
	}
	in := testInput(parseADFSRequest(t))
	in.Request.NameIDFormat = NameIDTransient
	in.Request.SP.EncryptAssertions = false
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			resp, err := p.Respond(in)
			if err == nil {
				var root *etree.Element
				if root, err = xmlsig.ReadUntrusted(resp.XML, 0); err == nil {
					var a *etree.Element
					if a, err = xmlsafe.Detach(xmlsafe.Child(root, NSAssertion, "Assertion")); err == nil {
						_, err = xmlsig.Verify(a, layout("assertion"), xmlsig.Trust{Certs: []*x509.Certificate{c}, Now: fixedNow})
					}
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
