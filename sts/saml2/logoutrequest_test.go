package saml2

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/sts/internal/ststest"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

const xmlsecLogoutRequest = "--id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest"

// TestLogoutRequestToSP: the LogoutRequest claimgate sends an SP of an
// ended session is byte-stable, signed (xmlsec1 verifies it against our
// certificate), schema-valid, goes to the SP's HTTP-POST SLO, expires
// DefaultLogoutWindow after now and names the NameID exactly as issued
// with every SessionIndex. Read back as the SP would read it (our parser,
// with claimgate playing the SP), it gives the same values.
func TestLogoutRequestToSP(t *testing.T) {
	sp := testSP(t)
	issued := Issued{NameID: "AbC+/x=", NameIDFormat: NameIDPersistent, NameQualifier: ststest.EntityID,
		SPNameQualifier: spEntityID, SessionIndexes: []string{"_s1", "_s2"}}
	req, err := testIdP(t).LogoutRequest(LogoutRequestInput{SP: &sp, Issued: issued})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "logout-request.xml", req.XML)
	doc := string(req.XML)
	for _, want := range []string{`Destination="` + spACS + `"`, `NotOnOrAfter="2025-05-01T10:05:00.000Z"`, `Reason="` + ReasonUser + `"`,
		`<saml:NameID Format="` + NameIDPersistent + `" NameQualifier="` + ststest.EntityID + `" SPNameQualifier="` + spEntityID + `">AbC+/x=</saml:NameID>`,
		`<samlp:SessionIndex>_s1</samlp:SessionIndex><samlp:SessionIndex>_s2</samlp:SessionIndex>`} {
		if !strings.Contains(doc, want) {
			t.Errorf("LogoutRequest lacks %s:\n%s", want, doc)
		}
	}
	if req.Destination != spACS || req.ID == "" || !strings.Contains(doc, `ID="`+req.ID+`"`) {
		t.Errorf("request %+v", req)
	}
	if out, ok := xmlsecVerify(t, req.XML, xmlsecLogoutRequest, ""); !ok {
		t.Errorf("xmlsec1 rejects the LogoutRequest:\n%s", out)
	}
	if out, ok := ststest.XMLLintValidate(t, req.XML, protocolSchema); !ok {
		t.Errorf("not schema-valid:\n%s", out)
	}
	tampered := []byte(strings.Replace(doc, "_s2", "_s3", 1))
	if _, ok := xmlsecVerify(t, tampered, xmlsecLogoutRequest, ""); ok {
		t.Error("xmlsec1 accepts a changed SessionIndex: the check proves nothing")
	}

	_, cert := ststest.LoadKeyPair(t, "signing")
	us := SPList{{EntityID: ststest.EntityID, SLO: []Endpoint{{Binding: BindingPOST, Location: spACS}}, SigningCerts: []*x509.Certificate{cert}}}
	back, err := ParseLogoutPOST(url.Values{"SAMLRequest": {req.Encoded()}}, us, ParseOptions{Endpoint: spACS, Now: ststest.FixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if !back.Signed || !issued.Matches(back) || len(back.SessionIndexes) != 2 {
		t.Errorf("read back: %+v", back)
	}

	noSLO := testSP(t)
	noSLO.SLO = noSLO.SLO[:1] // Redirect only
	if noSLO.CanLogout() || !sp.CanLogout() {
		t.Error("CanLogout")
	}
	if _, err := testIdP(t).LogoutRequest(LogoutRequestInput{SP: &noSLO, Issued: issued}); err == nil {
		t.Error("LogoutRequest to an SP without an HTTP-POST SLO")
	}
	if _, err := testIdP(t).LogoutRequest(LogoutRequestInput{SP: &sp}); err == nil {
		t.Error("LogoutRequest without a NameID")
	}
}

// TestIssuedMatches: a LogoutRequest ends the session only when its
// NameID is the one issued (value, format, qualifiers when named) and,
// when it names SessionIndexes, one of them was issued.
func TestIssuedMatches(t *testing.T) {
	in := Issued{NameID: "alice@corp.example", NameIDFormat: NameIDUnspecified, SessionIndexes: []string{"_a", "_b"}}
	req := func(f func(*LogoutRequest)) *LogoutRequest {
		r := &LogoutRequest{NameID: "alice@corp.example", NameIDFormat: NameIDUnspecified, SessionIndexes: []string{"_b"}}
		f(r)
		return r
	}
	for name, tc := range map[string]struct {
		req  *LogoutRequest
		want bool
	}{
		"as issued":             {req(func(*LogoutRequest) {}), true},
		"no SessionIndex":       {req(func(r *LogoutRequest) { r.SessionIndexes = nil }), true},
		"one of several":        {req(func(r *LogoutRequest) { r.SessionIndexes = []string{"_x", "_a"} }), true},
		"other user":            {req(func(r *LogoutRequest) { r.NameID = "bob@corp.example" }), false},
		"case differs":          {req(func(r *LogoutRequest) { r.NameID = "Alice@corp.example" }), false},
		"other format":          {req(func(r *LogoutRequest) { r.NameIDFormat = NameIDEmailAddress }), false},
		"other SessionIndex":    {req(func(r *LogoutRequest) { r.SessionIndexes = []string{"_c"} }), false},
		"foreign SPNameQualif.": {req(func(r *LogoutRequest) { r.SPNameQualifier = "urn:other" }), false},
		"nil":                   {nil, false},
	} {
		if got := in.Matches(tc.req); got != tc.want {
			t.Errorf("%s: Matches = %v, want %v", name, got, tc.want)
		}
	}
	if (Issued{}).Matches(req(func(*LogoutRequest) {})) {
		t.Error("an empty record matches")
	}
}

// TestIssuedByAndMerge: the record of a persistent Response carries the
// qualifiers the assertion has; a second Response to the same SP adds its
// SessionIndex (bounded), one for another NameID replaces the record.
func TestIssuedByAndMerge(t *testing.T) {
	p := testIdP(t)
	req := parseADFSRequest(t)
	req.NameIDFormat = NameIDPersistent
	resp, err := p.Respond(ResponseInput{Request: req, Subject: Subject{NameID: "alice", StableID: "S-1-5-21-1"}})
	if err != nil {
		t.Fatal(err)
	}
	in := p.IssuedBy(resp, req.SP)
	want := `<saml:NameID Format="` + in.NameIDFormat + `" NameQualifier="` + in.NameQualifier + `" SPNameQualifier="` + in.SPNameQualifier + `">` + in.NameID + `<`
	if in.NameQualifier == "" || !strings.Contains(string(resp.XML), want) || len(in.SessionIndexes) != 1 ||
		!strings.Contains(string(resp.XML), `SessionIndex="`+in.SessionIndexes[0]+`"`) {
		t.Errorf("IssuedBy %+v does not describe the Response:\n%s", in, resp.XML)
	}
	m := in
	for _, s := range []string{"_2", "_3", "_4", "_5"} {
		next := in
		next.SessionIndexes = []string{s}
		m = next.Merge(m)
	}
	if got := strings.Join(m.SessionIndexes, ","); got != "_2,_3,_4,_5" {
		t.Errorf("merged SessionIndexes %s, want the newest %d", got, MaxIssuedSessionIndexes)
	}
	other := Issued{NameID: "x", NameIDFormat: NameIDTransient, SessionIndexes: []string{"_t"}}
	if got := other.Merge(m); len(got.SessionIndexes) != 1 || got.NameID != "x" {
		t.Errorf("another NameID merged: %+v", got)
	}
}

func logoutResponseXML(attrs, status string) string {
	return `<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="id-lr-1" Version="2.0" IssueInstant="2025-05-01T09:59:59.000Z" Destination="` + sloURL + `"` + attrs + `>` +
		`<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">` + spEntityID + `</Issuer>` + status + `</samlp:LogoutResponse>`
}

const lrSuccess = `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>`

// responseQuery is redirectQuery for a SAMLResponse.
func responseQuery(t testing.TB, xml string, key *rsa.PrivateKey) string {
	t.Helper()
	q := "SAMLResponse=" + url.QueryEscape(base64.StdEncoding.EncodeToString(deflate(t, []byte(xml))))
	if key == nil {
		return q
	}
	q += "&SigAlg=" + url.QueryEscape(xmlsig.SigRSASHA256)
	return q + "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(signQuery(t, q, key, xmlsig.SigRSASHA256)))
}

func responseForm(t testing.TB, xml string, key *rsa.PrivateKey, cert *x509.Certificate) url.Values {
	t.Helper()
	f := postForm(t, xml, "", key, cert)
	return url.Values{"SAMLResponse": f["SAMLRequest"]}
}

// TestParseLogoutResponse: an SP's signed LogoutResponse to our
// LogoutRequest reads by either binding; unsigned ones, ones for another
// endpoint, without InResponseTo or status, replayed or from a stranger
// are refused.
func TestParseLogoutResponse(t *testing.T) {
	spKey, spCert := ststest.LoadKeyPair(t, "other")
	irt := ` InResponseTo="_00000000-0000-4000-8000-000000000001"`
	good := logoutResponseXML(irt, lrSuccess)
	r1, err := ParseLogoutResponseRedirect(responseQuery(t, good, spKey), testSPs(t), sloOpts())
	if err != nil {
		t.Fatal(err)
	}
	r2, err := ParseLogoutResponsePOST(responseForm(t, good, spKey, spCert), testSPs(t), sloOpts())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*LogoutResponse{r1, r2} {
		if !r.Signed || r.Status != StatusSuccess || r.InResponseTo != "_00000000-0000-4000-8000-000000000001" || r.SP.EntityID != spEntityID || r.ID != "id-lr-1" {
			t.Errorf("%s: %+v", r.Binding, r)
		}
	}
	partial := logoutResponseXML(irt, `<samlp:Status><samlp:StatusCode Value="`+StatusSuccess+`"><samlp:StatusCode Value="`+StatusPartialLogout+`"/></samlp:StatusCode></samlp:Status>`)
	if r, err := ParseLogoutResponseRedirect(responseQuery(t, partial, spKey), testSPs(t), sloOpts()); err != nil || r.SubStatus != StatusPartialLogout {
		t.Errorf("PartialLogout: %v %+v", err, r)
	}
	idpKey, _ := ststest.LoadKeyPair(t, "signing")
	for name, q := range map[string]string{
		"unsigned":          responseQuery(t, good, nil),
		"signed by others":  responseQuery(t, good, idpKey),
		"no InResponseTo":   responseQuery(t, logoutResponseXML("", lrSuccess), spKey),
		"no Status":         responseQuery(t, logoutResponseXML(irt, ""), spKey),
		"other Destination": responseQuery(t, strings.Replace(good, sloURL, ssoURL, 1), spKey),
		"a LogoutRequest":   strings.Replace(redirectQuery(t, logoutRequestXML("", logoutSubject), "", nil, ""), "SAMLRequest", "SAMLResponse", 1),
		"stranger":          responseQuery(t, strings.Replace(good, spEntityID, "urn:stranger", 1), spKey),
	} {
		if _, err := ParseLogoutResponseRedirect(q, testSPs(t), sloOpts()); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if r, err := ParseLogoutResponseRedirect(responseQuery(t, good, nil), testSPs(t, func(sp *SP) { sp.InsecureUnsignedLogout = true }), sloOpts()); err != nil || r.Signed {
		t.Errorf("InsecureUnsignedLogout: %v", err)
	}
	seen := map[string]bool{}
	opts := sloOpts()
	opts.Replay = idCache(func(k string, _ time.Time) bool { old := seen[k]; seen[k] = true; return old })
	q := responseQuery(t, good, spKey)
	if _, err := ParseLogoutResponseRedirect(q, testSPs(t), opts); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseLogoutResponseRedirect(q, testSPs(t), opts); err == nil {
		t.Error("a replayed LogoutResponse is accepted")
	}
}
