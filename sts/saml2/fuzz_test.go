package saml2

import (
	"errors"
	"net/url"
	"testing"

	"github.com/claimgate/claimgate/sts/internal/ststest"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// checkParsed is what must hold for whatever a parser returns: a request,
// or a *StatusError whose SAML answer, if any, goes to a registered ACS;
// and a request AD FS's SP must sign is never accepted unsigned.
func checkParsed(t *testing.T, r *AuthnRequest, err error, sps SPList) {
	if err != nil {
		var se *StatusError
		if !errors.As(err, &se) {
			t.Fatalf("error %v is not a *StatusError", err)
		}
		if se.Request != nil {
			r = se.Request
		} else {
			return
		}
	}
	sp, ok := sps.SP(r.Issuer)
	if !ok || r.SP == nil || r.SP.EntityID != sp.EntityID {
		t.Fatalf("request from unknown issuer %q", r.Issuer)
	}
	registered := false
	for _, e := range sp.ACS {
		registered = registered || (e == r.ACS && e.Binding == BindingPOST)
	}
	if !registered {
		t.Fatalf("ACS %+v is not a registered HTTP-POST endpoint", r.ACS)
	}
	if err == nil && sp.AuthnRequestsSigned && !r.Signed {
		t.Fatal("unsigned request accepted from an SP that must sign")
	}
}

func FuzzParseRedirect(f *testing.F) {
	spKey, _ := ststest.LoadKeyPair(f, "other")
	f.Add(redirectQuery(f, authnRequestXML("", adfsNameIDPolicy), relayState, nil, ""))
	f.Add(redirectQuery(f, authnRequestXML(` AssertionConsumerServiceIndex="3" ForceAuthn="true"`, ""), "", spKey, xmlsig.SigRSASHA256))
	f.Add(redirectQuery(f, authnRequestXML(` AssertionConsumerServiceURL="https://evil.example/"`, ""), "r", nil, ""))
	f.Add("SAMLRequest=%%&RelayState=&SigAlg=x&Signature=y")
	f.Add("")
	sps := testSPs(f)
	signed := testSPs(f, func(sp *SP) { sp.AuthnRequestsSigned = true })
	f.Fuzz(func(t *testing.T, q string) {
		for _, l := range []SPList{sps, signed} {
			r, err := ParseRedirect(q, l, parseOpts())
			checkParsed(t, r, err, l)
		}
	})
}

func FuzzParsePOST(f *testing.F) {
	spKey, spCert := ststest.LoadKeyPair(f, "other")
	for _, form := range []url.Values{
		postForm(f, authnRequestXML("", adfsNameIDPolicy), relayState, nil, nil),
		postForm(f, authnRequestXML(` AssertionConsumerServiceURL="`+spACSAlt+`"`, ""), relayState, spKey, spCert),
		postForm(f, `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`, "", nil, nil),
	} {
		f.Add(form.Get("SAMLRequest"), form.Get("RelayState"))
	}
	f.Add("PHg+", "")
	sps := testSPs(f)
	signed := testSPs(f, func(sp *SP) { sp.AuthnRequestsSigned = true })
	f.Fuzz(func(t *testing.T, samlRequest, relay string) {
		form := url.Values{"SAMLRequest": {samlRequest}, "RelayState": {relay}}
		for _, l := range []SPList{sps, signed} {
			r, err := ParsePOST(form, l, parseOpts())
			checkParsed(t, r, err, l)
		}
	})
}

// checkLogoutResponse: whatever the parsers return is a response from a
// known SP, signed unless that SP is InsecureUnsignedLogout, naming a
// request and a status.
func checkLogoutResponse(t *testing.T, r *LogoutResponse, err error, sps SPList) {
	if err != nil {
		var se *StatusError
		if !errors.As(err, &se) {
			t.Fatalf("error %v is not a *StatusError", err)
		}
		return
	}
	sp, ok := sps.SP(r.Issuer)
	if !ok || r.SP == nil || r.SP.EntityID != sp.EntityID {
		t.Fatalf("response from unknown issuer %q", r.Issuer)
	}
	if !r.Signed && !sp.InsecureUnsignedLogout {
		t.Fatal("unsigned LogoutResponse accepted")
	}
	if r.InResponseTo == "" || r.Status == "" {
		t.Fatalf("response without InResponseTo or status: %+v", r)
	}
}

func FuzzParseLogoutResponse(f *testing.F) {
	spKey, spCert := ststest.LoadKeyPair(f, "other")
	good := logoutResponseXML(` InResponseTo="_1"`, lrSuccess)
	f.Add(responseQuery(f, good, spKey), "", "")
	f.Add(responseQuery(f, good, nil), responseForm(f, good, spKey, spCert).Get("SAMLResponse"), "")
	f.Add("SAMLResponse=%%&SigAlg=x&Signature=y", "PHg+", "r")
	sps := testSPs(f)
	insecure := testSPs(f, func(sp *SP) { sp.InsecureUnsignedLogout = true })
	f.Fuzz(func(t *testing.T, q, samlResponse, relay string) {
		for _, l := range []SPList{sps, insecure} {
			r, err := ParseLogoutResponseRedirect(q, l, sloOpts())
			checkLogoutResponse(t, r, err, l)
			r, err = ParseLogoutResponsePOST(url.Values{"SAMLResponse": {samlResponse}, "RelayState": {relay}}, l, sloOpts())
			checkLogoutResponse(t, r, err, l)
		}
	})
}
