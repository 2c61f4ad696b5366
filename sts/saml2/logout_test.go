package saml2

import (
	"strings"
	"testing"

	"github.com/claimgate/claimgate/sts/internal/ststest"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

const logoutID = "id-4f1e2d3c-0b9a-4877-a665-544332211000"

func logoutRequestXML(attrs, children string) string {
	return `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="` + logoutID + `" Version="2.0" IssueInstant="2025-05-01T09:59:59.000Z" Destination="` + sloURL + `"` + attrs + `>` +
		`<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">` + spEntityID + `</Issuer>` + children + `</samlp:LogoutRequest>`
}

const logoutSubject = `<NameID xmlns="urn:oasis:names:tc:SAML:2.0:assertion" Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">alice@corp.example</NameID>` +
	`<samlp:SessionIndex>_00000000-0000-4000-8000-000000000003</samlp:SessionIndex>`

func sloOpts() ParseOptions { return ParseOptions{Endpoint: sloURL, Now: ststest.FixedNow} }

// TestLogout: an SP-initiated LogoutRequest, signed by either binding, is
// parsed, and the signed LogoutResponse to it is byte-stable, verified by
// xmlsec1 and schema-valid.
func TestLogout(t *testing.T) {
	spKey, spCert := ststest.LoadKeyPair(t, "other")
	xml := logoutRequestXML(` NotOnOrAfter="2025-05-01T10:04:59.000Z" Reason="urn:oasis:names:tc:SAML:2.0:logout:user"`, logoutSubject)
	redirect, err := ParseLogoutRedirect(redirectQuery(t, xml, relayState, spKey, xmlsig.SigRSASHA256), testSPs(t), sloOpts())
	if err != nil {
		t.Fatal(err)
	}
	post, err := ParseLogoutPOST(postForm(t, xml, relayState, spKey, spCert), testSPs(t), sloOpts())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*LogoutRequest{redirect, post} {
		if r.ID != logoutID || !r.Signed || r.NameID != "alice@corp.example" || r.NameIDFormat != NameIDUnspecified ||
			len(r.SessionIndexes) != 1 || r.SessionIndexes[0] != "_00000000-0000-4000-8000-000000000003" ||
			r.Reply == nil || r.Reply.Location != spACS || r.RelayState != relayState || r.Reason != "urn:oasis:names:tc:SAML:2.0:logout:user" {
			t.Errorf("%s: %+v", r.Binding, r)
		}
	}
	resp, err := testIdP(t).LogoutResponse(redirect, nil)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "logout-response.xml", resp.XML)
	if resp.Destination != spACS || resp.RelayState != relayState || !strings.Contains(string(resp.XML), `InResponseTo="`+logoutID+`"`) {
		t.Errorf("logout response %+v", resp)
	}
	if out, ok := xmlsecVerify(t, resp.XML, xmlsecLogout, ""); !ok {
		t.Errorf("xmlsec1 rejects the LogoutResponse:\n%s", out)
	}
	if out, ok := ststest.XMLLintValidate(t, resp.XML, protocolSchema); !ok {
		t.Errorf("not schema-valid:\n%s", out)
	}
	partial, err := testIdP(t).LogoutResponse(redirect, NewStatusError(nil, StatusSuccess, StatusPartialLogout, "one SP did not answer"))
	if err != nil || !strings.Contains(string(partial.XML), StatusPartialLogout) {
		t.Errorf("partial logout: %v", err)
	}
	if _, err := testIdP(t).LogoutResponse(&LogoutRequest{ID: "x", SP: redirect.SP}, nil); err == nil {
		t.Error("LogoutResponse without a reply endpoint")
	}
}

// TestLogoutRefusals: unsigned requests are refused unless the SP is
// explicitly insecure, and refusals after the SP is proven can be
// answered with a LogoutResponse.
func TestLogoutRefusals(t *testing.T) {
	spKey, _ := ststest.LoadKeyPair(t, "other")
	signed := func(xml string) string { return redirectQuery(t, xml, relayState, spKey, xmlsig.SigRSASHA256) }
	for name, tc := range map[string]struct {
		query     string
		sps       SPList
		code, sub string
		replyable bool
	}{
		"unsigned":            {redirectQuery(t, logoutRequestXML("", logoutSubject), "", nil, ""), testSPs(t), StatusRequester, StatusRequestDenied, false},
		"expired":             {signed(logoutRequestXML(` NotOnOrAfter="2025-05-01T09:50:00.000Z"`, logoutSubject)), testSPs(t), StatusRequester, StatusRequestDenied, true},
		"foreign Destination": {signed(strings.Replace(logoutRequestXML("", logoutSubject), sloURL, ssoURL, 1)), testSPs(t), StatusRequester, StatusRequestDenied, true},
		"encrypted ID": {signed(logoutRequestXML("", `<saml:EncryptedID xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"/>`)), testSPs(t),
			StatusRequester, StatusRequestUnsupported, true},
		"no NameID":        {signed(logoutRequestXML("", "")), testSPs(t), StatusRequester, StatusUnknownPrincipal, true},
		"no POST endpoint": {signed(logoutRequestXML("", "")), testSPs(t, func(sp *SP) { sp.SLO = sp.SLO[:1] }), StatusRequester, StatusUnknownPrincipal, false},
		"AuthnRequest":     {signed(authnRequestXML("", "")), testSPs(t), StatusRequester, StatusRequestUnsupported, false},
	} {
		t.Run(name, func(t *testing.T) {
			se := wantRefusal(t, func() error { _, err := ParseLogoutRedirect(tc.query, tc.sps, sloOpts()); return err }, tc.code)
			if se.SubCode != tc.sub || (se.Logout != nil) != tc.replyable || se.Request != nil {
				t.Errorf("%v: logout reply %v, want %v", se, se.Logout != nil, tc.replyable)
			}
		})
	}
	insecure := testSPs(t, func(sp *SP) { sp.InsecureUnsignedLogout = true })
	r, err := ParseLogoutRedirect(redirectQuery(t, logoutRequestXML("", logoutSubject), "", nil, ""), insecure, sloOpts())
	if err != nil || r.Signed {
		t.Errorf("InsecureUnsignedLogout: %v %+v", err, r)
	}
}
