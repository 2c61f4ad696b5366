package demo

import (
	"testing"
	"time"
)

// FuzzVerifyResponse feeds the ACS's verifier arbitrary documents: it must
// not panic, and with no trusted certificate it must never accept one,
// whatever the document claims.
func FuzzVerifyResponse(f *testing.F) {
	f.Add([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r" Version="2.0" Destination="http://sp/acs" InResponseTo="_q"><saml:Issuer>urn:idp</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion ID="_a" Version="2.0"><saml:Issuer>urn:idp</saml:Issuer></saml:Assertion></samlp:Response>`))
	f.Add([]byte(`<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r" Version="2.0"/>`))
	f.Add([]byte(`<x/>`))
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, doc []byte) {
		got := verifyResponse(doc, responseWant{IdP: "urn:idp", EntityID: "urn:sp", ACS: "http://sp/acs", RequestID: "_q", Now: now})
		if got.assertion != nil {
			t.Fatalf("accepted without a trusted certificate: %q", doc)
		}
		s := &SAML2{IdPEntityID: "urn:idp", SLOURL: "http://sp/slo"}
		if l := verifyLogoutResponse(doc, s, "_q", nil, now); !l.checks.failed {
			t.Fatalf("logout accepted without a trusted certificate: %q", doc)
		}
	})
}
